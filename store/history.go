package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// The live log's history in Postgres: what the hub serves once Redis no
// longer holds it, from the items table (adds, with each item's current
// state) merged in seq order with log_ops (the other entries).

// historyItem is an items row with its session's and room's slugs.
type historyItem struct {
	models.Item `gorm:"embedded"`
	SessionSlug string
	RoomSlug    string
}

// historyOp is a log_ops row with the current state of its target item.
type historyOp struct {
	OpSeq       int64
	Op          string
	OpTarget    int64
	models.Item `gorm:"embedded"`
	SessionSlug string
	RoomSlug    string
}

// Public items only: hidden, pending and rejected ones never reach the live API.
var historyItemsSQL = `
SELECT i.*, COALESCE(s.slug, '') AS session_slug, COALESCE(r.slug, '') AS room_slug
FROM items i LEFT JOIN sessions s ON s.id = i.session_id LEFT JOIN rooms r ON r.id = s.room_id
WHERE i.event_id = ? AND i.seq > ? AND i.seq <= ? AND ` + live.VisibleSQLOf("i") + `
ORDER BY i.seq
LIMIT ?`

// A hide, reject or hold is always public (clients drop what they do not
// hold); other ops only when their target is public now, carrying its
// current state. The filter is in SQL so LIMIT counts only entries that are
// returned.
var historyOpsSQL = `
SELECT o.seq AS op_seq, o.op, o.target AS op_target, i.*, COALESCE(s.slug, '') AS session_slug, COALESCE(r.slug, '') AS room_slug
FROM log_ops o
LEFT JOIN items i ON i.event_id = o.event_id AND i.seq = o.target
LEFT JOIN sessions s ON s.id = i.session_id
LEFT JOIN rooms r ON r.id = s.room_id
WHERE o.event_id = ? AND o.seq > ? AND o.seq <= ?
  AND (o.op IN ('hide', 'reject', 'hold') OR (i.seq IS NOT NULL AND ` + live.VisibleSQLOf("i") + `))
ORDER BY o.seq
LIMIT ?`

// EntriesAfter returns the public entries of an event's live log with
// after < seq <= upTo in seq order, at most limit, as Postgres keeps them;
// fewer than limit means none is left in the range. It implements
// realtime.Archive. When Postgres cannot be reached the error matches
// models.ErrUnavailable, and the live API tells the client to start again
// from a snapshot (which Redis serves) instead of failing.
func (s *Store) EntriesAfter(ctx context.Context, eventID int64, after, upTo int64, limit int) ([]live.Entry, error) {
	if limit <= 0 || upTo <= after {
		return nil, nil
	}
	var items []historyItem
	if err := s.db.WithContext(ctx).Raw(historyItemsSQL, eventID, after, upTo, limit).Scan(&items).Error; err != nil {
		return nil, fmt.Errorf("store: history items of event %d after %d: %w", eventID, after, wrap(err))
	}
	var ops []historyOp
	if err := s.db.WithContext(ctx).Raw(historyOpsSQL, eventID, after, upTo, limit).Scan(&ops).Error; err != nil {
		return nil, fmt.Errorf("store: history ops of event %d after %d: %w", eventID, after, wrap(err))
	}
	audience, err := s.audienceAfter(ctx, eventID, after, upTo, limit)
	if err != nil {
		return nil, err
	}
	out := make([]live.Entry, 0, min(limit, len(items)+len(ops)+len(audience)))
	i, j, k := 0, 0, 0
	for len(out) < limit && (i < len(items) || j < len(ops) || k < len(audience)) {
		next := int64(math.MaxInt64) // the lowest seq among the three heads
		if i < len(items) {
			next = min(next, items[i].Seq)
		}
		if j < len(ops) {
			next = min(next, ops[j].OpSeq)
		}
		if k < len(audience) {
			next = min(next, audience[k].Seq)
		}
		switch {
		case i < len(items) && items[i].Seq == next:
			it := live.FromRow(items[i].Item, items[i].SessionSlug, items[i].RoomSlug)
			out = append(out, live.Entry{Seq: it.Seq, Op: live.OpAdd, Item: &it})
			i++
		case j < len(ops) && ops[j].OpSeq == next:
			o := ops[j]
			e := live.Entry{Seq: o.OpSeq, Op: o.Op, Target: o.OpTarget}
			if !live.Takedown(o.Op) {
				it := live.FromRow(o.Item, o.SessionSlug, o.RoomSlug)
				e.Item = &it
			}
			out = append(out, e)
			j++
		default:
			out = append(out, audience[k])
			k++
		}
	}
	return out, nil
}

// historyAudienceSQL reads the public audience entries in order. A question
// taken down since it was asked is left out, so its text never comes back
// through history (its qa_state entry still says it is hidden).
const historyAudienceSQL = `
SELECT a.seq, a.entry FROM audience_log a
LEFT JOIN questions q ON a.op = 'question' AND q.event_id = a.event_id AND q.id = a.seq
WHERE a.event_id = ? AND a.seq > ? AND a.seq <= ? AND a.public
  AND NOT (a.op = 'question' AND COALESCE(q.state, '') = 'hidden')
ORDER BY a.seq
LIMIT ?`

// audienceAfter returns the public audience entries after after, up to upTo.
func (s *Store) audienceAfter(ctx context.Context, eventID int64, after, upTo int64, limit int) ([]live.Entry, error) {
	var rows []struct {
		Seq   int64
		Entry string
	}
	if err := s.db.WithContext(ctx).Raw(historyAudienceSQL, eventID, after, upTo, limit).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: history audience entries of event %d after %d: %w", eventID, after, wrap(err))
	}
	out := make([]live.Entry, 0, len(rows))
	for _, r := range rows {
		var e live.Entry
		if err := json.Unmarshal([]byte(r.Entry), &e); err != nil {
			continue // written by the strainer from a decoded entry: cannot happen
		}
		e.Seq = r.Seq
		out = append(out, e)
	}
	return out, nil
}
