package store

import (
	"context"
	"fmt"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// The moderation console's and the held queue's reads.

// AdminItem is a stored item as the console shows it: the live item (the
// one mapping, live.FromRow) and its review state.
type AdminItem struct {
	live.Item
	Review string
	// Placement is the rule that placed it (models.Placed…).
	Placement string
}

// consoleItems maps rows with their sessions' slugs.
func (s *Store) consoleItems(ctx context.Context, rows []models.Item) ([]AdminItem, error) {
	slugs, err := s.sessionSlugsOf(ctx, rows)
	if err != nil {
		return nil, err
	}
	out := make([]AdminItem, len(rows))
	for i, r := range rows {
		at := slugs[rowSessionID(r)]
		out[i] = AdminItem{Item: live.FromRow(r, at.session, at.room), Review: r.Review, Placement: r.Placement}
	}
	return out, nil
}

// AdminConsoleItems returns the event's newest limit stored items: all,
// only the "visible" ones (live.VisibleSQL), only the "hidden" and held, or
// those "toplace" (ambiguous between parallel sessions).
func (s *Store) AdminConsoleItems(ctx context.Context, eventID int64, show string, limit int) ([]AdminItem, error) {
	q := s.db.WithContext(ctx).Omit("search").Where("event_id = ?", eventID)
	switch show {
	case "visible":
		q = q.Where(live.VisibleSQL)
	case "hidden":
		q = q.Where("NOT (" + live.VisibleSQL + ")")
	case "toplace":
		q = q.Where("placement = ?", models.PlacedAmbiguous)
	}
	var rows []models.Item
	if err := q.Order("seq DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: console items of event %d: %w", eventID, err)
	}
	return s.consoleItems(ctx, rows)
}

// AdminStoredHead returns the highest seq of the event's stored items (0
// for none): the console reads the live log past it.
func (s *Store) AdminStoredHead(ctx context.Context, eventID int64) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Raw(`SELECT coalesce(max(seq), 0) FROM items WHERE event_id = ?`, eventID).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("store: stored head of event %d: %w", eventID, err)
	}
	return n, nil
}

// AdminReviewCounts counts the event's stored items not approved, by review state.
func (s *Store) AdminReviewCounts(ctx context.Context, eventID int64) (map[string]int64, error) {
	var rows []struct {
		Review string
		N      int64
	}
	if err := s.db.WithContext(ctx).Raw(`SELECT review, count(*) AS n FROM items WHERE event_id = ? AND review <> 'approved' GROUP BY review`,
		eventID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: review counts of event %d: %w", eventID, err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Review] = r.N
	}
	return out, nil
}

// AdminQueueItems returns up to limit stored items in a review state:
// pending ones oldest first (the queue's order), the others newest first;
// "approved" lists only those a moderator approved.
func (s *Store) AdminQueueItems(ctx context.Context, eventID int64, review string, limit int) ([]AdminItem, error) {
	q := s.db.WithContext(ctx).Omit("search").Where("event_id = ? AND review = ?", eventID, review)
	if review == models.ReviewApproved {
		q = q.Where("seq IN (SELECT object_id::bigint FROM audit_log WHERE object_type = 'item' AND action = 'approve' AND event_id = ?)", eventID)
	}
	order := "seq ASC"
	if review != models.ReviewPending {
		order = "seq DESC"
	}
	var rows []models.Item
	if err := q.Order(order).Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: queue of event %d: %w", eventID, err)
	}
	return s.consoleItems(ctx, rows)
}

// AdminToPlaceCount counts the event's stored items that parallel sessions
// could claim (placement 'ambiguous'): the console's "to place".
func (s *Store) AdminToPlaceCount(ctx context.Context, eventID int64) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Raw(`SELECT count(*) FROM items WHERE event_id = ? AND placement = 'ambiguous'`, eventID).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("store: items to place of event %d: %w", eventID, err)
	}
	return n, nil
}
