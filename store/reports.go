package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/backchannel/backchannel/models"
)

// Attendees' reports of items (the moderation verbs decide what a report
// does; these run its queries).

// AddReport records reporter's report of the item at seq and returns
// whether it is new (a browser reports an item once) and how many the item
// now has.
func (s *Store) AddReport(ctx context.Context, eventID, seq int64, reporter, reason string) (added bool, count int, err error) {
	res := s.db.WithContext(ctx).Exec(`INSERT INTO item_reports (event_id, seq, reporter, reason) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, eventID, seq, reporter, reason)
	if res.Error != nil {
		return false, 0, fmt.Errorf("store: report item %d of event %d: %w", seq, eventID, wrap(res.Error))
	}
	var n int
	if err := s.db.WithContext(ctx).Raw(`SELECT count(*) FROM item_reports WHERE event_id = ? AND seq = ?`, eventID, seq).
		Scan(&n).Error; err != nil {
		return false, 0, fmt.Errorf("store: count reports of item %d of event %d: %w", seq, eventID, wrap(err))
	}
	return res.RowsAffected == 1, n, nil
}

// ReportThreshold returns how many reports hold an item of the event (0:
// reports never hold).
func (s *Store) ReportThreshold(ctx context.Context, eventID int64) (int, error) {
	var ev models.Event
	if err := s.db.WithContext(ctx).Select("id", "report_threshold").Take(&ev, eventID).Error; err != nil {
		return 0, fmt.Errorf("store: report threshold of event %d: %w", eventID, notFound(err, "event", eventID))
	}
	return ev.ReportThreshold, nil
}

// Reported is one reported item: its seq, how many reports, the newest
// reasons given.
type Reported struct {
	Seq     int64
	Count   int
	Reasons []string
}

// ReportedItems returns the event's reported items, most reported first
// (then newest), at most limit, with up to three reasons each.
func (s *Store) ReportedItems(ctx context.Context, eventID int64, limit int) ([]Reported, error) {
	var rows []struct {
		Seq     int64
		N       int
		Reasons string
	}
	err := s.db.WithContext(ctx).Raw(`SELECT seq, count(*) AS n,
			coalesce(string_agg(NULLIF(reason, ''), E'\n' ORDER BY created_at DESC), '') AS reasons
		FROM item_reports WHERE event_id = ? GROUP BY seq ORDER BY n DESC, seq DESC LIMIT ?`, eventID, limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: reported items of event %d: %w", eventID, wrap(err))
	}
	out := make([]Reported, len(rows))
	for i, r := range rows {
		out[i] = Reported{Seq: r.Seq, Count: r.N}
		if r.Reasons != "" {
			out[i].Reasons = strings.Split(r.Reasons, "\n")
			if len(out[i].Reasons) > 3 {
				out[i].Reasons = out[i].Reasons[:3]
			}
		}
	}
	return out, nil
}

// ReportCounts returns the report counts of the event's items among seqs.
func (s *Store) ReportCounts(ctx context.Context, eventID int64, seqs []int64) (map[int64]int, error) {
	out := make(map[int64]int, len(seqs))
	if len(seqs) == 0 {
		return out, nil
	}
	var rows []struct {
		Seq int64
		N   int
	}
	if err := s.db.WithContext(ctx).Raw(`SELECT seq, count(*) AS n FROM item_reports WHERE event_id = ? AND seq IN ? GROUP BY seq`,
		eventID, seqs).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: report counts of event %d: %w", eventID, wrap(err))
	}
	for _, r := range rows {
		out[r.Seq] = r.N
	}
	return out, nil
}

// ClearReports drops the reports of items among seqs (a moderator decided
// on them).
func (s *Store) ClearReports(ctx context.Context, eventID int64, seqs []int64) error {
	if len(seqs) == 0 {
		return nil
	}
	if err := s.db.WithContext(ctx).Exec(`DELETE FROM item_reports WHERE event_id = ? AND seq IN ?`, eventID, seqs).Error; err != nil {
		return fmt.Errorf("store: clear reports of event %d: %w", eventID, wrap(err))
	}
	return nil
}

// ReportedCount returns how many of the event's items have reports.
func (s *Store) ReportedCount(ctx context.Context, eventID int64) (int, error) {
	var n int
	if err := s.db.WithContext(ctx).Raw(`SELECT count(DISTINCT seq) FROM item_reports WHERE event_id = ?`, eventID).
		Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("store: reported items of event %d: %w", eventID, wrap(err))
	}
	return n, nil
}
