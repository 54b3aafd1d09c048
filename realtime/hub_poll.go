// A poll's state machine: answer from the window, else wait for an
// arrival, then answer again; a since the window does not cover goes to
// history, a wrong epoch or a since beyond the head resets.

package realtime

import (
	"context"
	"time"

	"github.com/backchannel/backchannel/live"
)

// Poll answers at once with the public entries after since (up to limit,
// More when cut), else waits up to wait for the next entry, else returns an
// empty page with Next=since at the deadline. A wrong epoch ("" skips the
// check) or a since beyond the head gives Reset. A since older than the
// window is read from Redis, older than Redis from the archive. When ctx
// ends the wait, Poll returns the empty page and ctx's error.
func (h *Hub) Poll(ctx context.Context, eventID int64, epoch string, since int64, limit int, wait time.Duration) (Page, error) {
	if h.draining.Load() {
		return Page{}, ErrDraining
	}
	if limit <= 0 {
		limit = defaultLimit
	}
	poll := &pollState{eventID: eventID, epoch: epoch, cur: max(since, 0), limit: limit}
	var err error
	if poll.ev, err = h.event(ctx, eventID); err != nil {
		return Page{}, err
	}
	p, wake, done, err := h.attempt(ctx, poll)
	if done || h.draining.Load() || wait <= 0 {
		return p, err
	}
	return h.await(ctx, poll, p, wake, wait)
}

// pollState is where a Poll stands between its attempts.
type pollState struct {
	eventID  int64
	epoch    string
	limit    int
	ev       *liveEvent
	cur      int64 // the seq covered so far
	caughtUp bool  // Redis was asked once for entries beyond this node's head
	woken    bool  // an arrival woke the poll (its entries are live deliveries)
}

// await parks a poll that found nothing until an arrival, the wait's end or
// ctx's end. p is its empty page and wake the channel of its window.
func (h *Hub) await(ctx context.Context, poll *pollState, p Page, wake <-chan struct{}, wait time.Duration) (Page, error) {
	timer := time.NewTimer(wait)
	defer timer.Stop()
	h.enterWait()
	defer h.leaveWait()
	for {
		poll.ev.waiters.Add(1)
		select {
		case <-wake: // also closed by Drain and eviction
			poll.woken = true
		case <-timer.C:
			poll.ev.waiters.Add(-1)
			return p, nil
		case <-ctx.Done():
			poll.ev.waiters.Add(-1)
			return p, ctx.Err()
		}
		poll.ev.waiters.Add(-1)
		var done bool
		var err error
		if p, wake, done, err = h.attempt(ctx, poll); done || h.draining.Load() {
			return p, err
		}
	}
}

func (h *Hub) enterWait() {
	h.waiting.Add(1)
	if h.metrics != nil {
		h.metrics.Waiting.Inc()
	}
}

func (h *Hub) leaveWait() {
	h.waiting.Add(-1)
	if h.metrics != nil {
		h.metrics.Waiting.Dec()
	}
}

// syncTimeout bounds the Redis read a poll makes when its since is beyond
// this node's head.
const syncTimeout = 5 * time.Second

// attempt answers a poll from the window if it can: done is true with the
// page (or an error) to return; otherwise the page is empty (its Next past
// any entries clients must not see) and wake is closed at the next arrival.
func (h *Hub) attempt(ctx context.Context, poll *pollState) (p Page, wake <-chan struct{}, done bool, err error) {
	for {
		ev := poll.ev
		ev.touch()
		ev.mu.RLock()
		if ev.gone {
			ev.mu.RUnlock()
			if poll.ev, err = h.event(ctx, poll.eventID); err != nil {
				return Page{}, nil, true, err
			}
			continue
		}
		switch {
		case poll.epoch != "" && poll.epoch != ev.epoch:
			p := ev.resetPage()
			ev.mu.RUnlock()
			return p, nil, true, nil
		case poll.cur > ev.head:
			if poll.caughtUp {
				p := ev.resetPage()
				ev.mu.RUnlock()
				return p, nil, true, nil
			}
			// Another node may be a little ahead of this one: ask Redis once.
			ev.mu.RUnlock()
			poll.caughtUp = true
			sctx, cancel := context.WithTimeout(ctx, syncTimeout)
			ev.fill.Lock()
			h.syncLocked(sctx, ev)
			ev.fill.Unlock()
			cancel()
			continue
		case poll.cur < ev.head-ev.count:
			ev.mu.RUnlock()
			p, err := h.history(ctx, ev, poll.cur, poll.limit)
			return p, nil, true, err
		}
		p := ev.cachedCollect(poll.cur, poll.limit)
		wake := ev.wake
		ev.mu.RUnlock()
		if len(p.Entries) > 0 {
			h.delivered(p, poll.woken)
			return p, nil, true, nil
		}
		poll.cur = p.Next // skip entries clients must not see
		return p, wake, false, nil
	}
}

func (h *Hub) delivered(p Page, fresh bool) {
	if h.metrics == nil {
		return
	}
	h.metrics.Deliveries.Add(float64(len(p.Entries)))
	if !fresh {
		return
	}
	now := time.Now()
	for _, e := range p.Entries {
		if e.Op == live.OpAdd && e.Item != nil && !e.Item.ReceivedAt.IsZero() {
			h.metrics.Latency.Observe(now.Sub(e.Item.ReceivedAt).Seconds())
		}
	}
}
