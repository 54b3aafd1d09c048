package moderation

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// Load reads an event's rules and moderation mode and compiles them.
func Load(ctx context.Context, db *gorm.DB, eventID int64) (Rules, error) {
	var ev models.Event
	if err := db.WithContext(ctx).Select("id", "moderation").Take(&ev, eventID).Error; err != nil {
		return Rules{}, fmt.Errorf("moderation: load rules: event %d: %w", eventID, err)
	}
	var rows []models.ModerationRule
	if err := db.WithContext(ctx).Where("event_id = ?", eventID).Order("id").Find(&rows).Error; err != nil {
		return Rules{}, fmt.Errorf("moderation: load rules of event %d: %w", eventID, err)
	}
	return Compile(rows, ev.Moderation == models.ModerationBefore), nil
}

// pastBatch is how many stored items MatchPast reads at a time.
const pastBatch = 2000

// MatchPast returns the seqs of an event's stored items, not hidden yet,
// that r blocks. It reads the items in seq order a batch at a time and
// decides with the same matcher as ingest: SQL only selects the candidates.
func MatchPast(ctx context.Context, db *gorm.DB, eventID int64, r Rules) ([]int64, error) {
	if r.Empty() {
		return nil, nil
	}
	var out []int64
	var after int64
	for {
		var rows []struct {
			Seq          int64
			AuthorName   string
			AuthorHandle string
			Text         string
		}
		err := db.WithContext(ctx).Raw(`SELECT seq, author_name, author_handle, text FROM items
			WHERE event_id = ? AND NOT hidden AND seq > ? ORDER BY seq LIMIT ?`, eventID, after, pastBatch).Scan(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("moderation: match past items of event %d: %w", eventID, err)
		}
		for _, row := range rows {
			if r.Blocks(live.Author{Name: row.AuthorName, Handle: row.AuthorHandle}, row.Text) {
				out = append(out, row.Seq)
			}
		}
		if len(rows) < pastBatch {
			return out, nil
		}
		after = rows[len(rows)-1].Seq
	}
}
