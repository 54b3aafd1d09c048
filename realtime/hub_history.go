// History: a since older than the window is served from Redis, and older
// than Redis from the Archive (Postgres), never as a silent gap.

package realtime

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/backchannel/backchannel/live"
)

// Archive serves entries older than Redis holds (Postgres in production).
type Archive interface {
	// EntriesAfter returns the public entries with after < seq <= upTo, in
	// seq order, at most limit.
	EntriesAfter(ctx context.Context, eventID int64, after, upTo int64, limit int) ([]live.Entry, error)
}

// historyTimeout bounds a poll's reads of Redis and the archive.
const historyTimeout = 10 * time.Second

// history serves a since older than the window: from Redis, or from the
// archive for what Redis no longer holds.
func (h *Hub) history(ctx context.Context, ev *liveEvent, since int64, limit int) (Page, error) {
	ctx, cancel := context.WithTimeout(ctx, historyTimeout)
	defer cancel()
	ev.mu.RLock()
	epoch, head := ev.epoch, ev.head
	ev.mu.RUnlock()
	raws, err := h.log.rangeRaw(ctx, ev.id, since, limit)
	h.countCommands(1)
	if err != nil {
		return Page{}, err
	}
	if len(raws) > 0 && raws[0].Seq == since+1 {
		p := Page{Epoch: epoch, Head: head, Served: ServedRedis, Next: raws[len(raws)-1].Seq}
		for _, r := range raws {
			if r.Entry.Public() {
				p.Entries = append(p.Entries, r.Entry)
				p.Raw = append(p.Raw, r.raw)
			}
		}
		p.More = p.Next < head
		h.delivered(p, false)
		return p, nil
	}
	upTo := head
	if len(raws) > 0 {
		upTo = raws[0].Seq - 1
	}
	if h.archive == nil {
		ev.mu.RLock()
		defer ev.mu.RUnlock()
		return ev.resetPage(), nil
	}
	es, err := h.archive.EntriesAfter(ctx, ev.id, since, upTo, limit)
	if err != nil {
		return Page{}, fmt.Errorf("realtime: archive of event %d after %d: %w", ev.id, since, err)
	}
	p := Page{Epoch: epoch, Head: head, Served: ServedPostgres, Next: upTo}
	if len(es) >= limit {
		es = es[:limit]
		p.Next = es[len(es)-1].Seq
	}
	for _, e := range es {
		if !e.Public() {
			continue
		}
		b, err := json.Marshal(e)
		if err != nil {
			return Page{}, fmt.Errorf("realtime: encode archived entry %d: %w", e.Seq, err)
		}
		p.Entries = append(p.Entries, e)
		p.Raw = append(p.Raw, b)
	}
	p.More = p.Next < head
	h.delivered(p, false)
	return p, nil
}
