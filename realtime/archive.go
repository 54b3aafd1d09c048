package realtime

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// PostgresArchive serves the entries Redis no longer holds from what the
// strainer copied into Postgres: the items table (adds, with each item's
// current state) merged in seq order with log_ops (the other entries).
type PostgresArchive struct {
	db *gorm.DB
}

// NewPostgresArchive returns the archive over db.
func NewPostgresArchive(db *gorm.DB) *PostgresArchive {
	return &PostgresArchive{db: db}
}

// archivedItem is an items row with its session's slug.
type archivedItem struct {
	models.Item `gorm:"embedded"`
	SessionSlug string
}

// archivedOp is a log_ops row with the current state of its target item.
type archivedOp struct {
	OpSeq       int64
	Op          string
	OpTarget    int64
	models.Item `gorm:"embedded"`
	SessionSlug string
}

// Public items only: hidden, pending and rejected ones never reach the live API.
const archiveItemsSQL = `
SELECT i.*, COALESCE(s.slug, '') AS session_slug
FROM items i LEFT JOIN sessions s ON s.id = i.session_id
WHERE i.event_id = ? AND i.seq > ? AND i.seq <= ? AND NOT i.hidden AND i.review = 'approved'
ORDER BY i.seq
LIMIT ?`

// A hide is always public (clients drop what they do not hold); other ops
// only when their target is public now, carrying its current state. The
// filter is in SQL so LIMIT counts only entries that are returned.
const archiveOpsSQL = `
SELECT o.seq AS op_seq, o.op, o.target AS op_target, i.*, COALESCE(s.slug, '') AS session_slug
FROM log_ops o
LEFT JOIN items i ON i.event_id = o.event_id AND i.seq = o.target
LEFT JOIN sessions s ON s.id = i.session_id
WHERE o.event_id = ? AND o.seq > ? AND o.seq <= ?
  AND (o.op = 'hide' OR (i.seq IS NOT NULL AND NOT i.hidden AND i.review = 'approved'))
ORDER BY o.seq
LIMIT ?`

// EntriesAfter returns the public entries with after < seq <= upTo in seq
// order, at most limit; fewer than limit means none is left in the range.
func (a *PostgresArchive) EntriesAfter(ctx context.Context, eventID int64, after, upTo int64, limit int) ([]live.Entry, error) {
	if limit <= 0 || upTo <= after {
		return nil, nil
	}
	var items []archivedItem
	if err := a.db.WithContext(ctx).Raw(archiveItemsSQL, eventID, after, upTo, limit).Scan(&items).Error; err != nil {
		return nil, fmt.Errorf("realtime: archive items of event %d after %d: %w", eventID, after, err)
	}
	var ops []archivedOp
	if err := a.db.WithContext(ctx).Raw(archiveOpsSQL, eventID, after, upTo, limit).Scan(&ops).Error; err != nil {
		return nil, fmt.Errorf("realtime: archive ops of event %d after %d: %w", eventID, after, err)
	}
	out := make([]live.Entry, 0, min(limit, len(items)+len(ops)))
	i, j := 0, 0
	for len(out) < limit && (i < len(items) || j < len(ops)) {
		if j >= len(ops) || (i < len(items) && items[i].Seq < ops[j].OpSeq) {
			it := live.FromRow(items[i].Item, items[i].SessionSlug)
			out = append(out, live.Entry{Seq: it.Seq, Op: live.OpAdd, Item: &it})
			i++
			continue
		}
		o := ops[j]
		e := live.Entry{Seq: o.OpSeq, Op: o.Op, Target: o.OpTarget}
		if o.Op != live.OpHide {
			it := live.FromRow(o.Item, o.SessionSlug)
			e.Item = &it
		}
		out = append(out, e)
		j++
	}
	return out, nil
}
