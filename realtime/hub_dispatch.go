// The hub's subscription and repairs: one PSUBSCRIBE per node feeds every
// window; a gap, a lost tail or a new epoch is repaired from Redis before
// anyone is woken.

package realtime

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/live"
)

// Run keeps the hub's subscription (re-subscribing with backoff when it
// breaks, then re-checking every live event against Redis) and applies its
// messages. It returns when ctx ends.
func (h *Hub) Run(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.dispatch(ctx)
	}()
	defer func() { <-done }()
	backoff := 50 * time.Millisecond
	for {
		sctx := rueidis.WithOnSubscriptionHook(ctx, func(s rueidis.PubSubSubscription) {
			if s.Kind == "psubscribe" {
				h.requestResync()
				h.subscribedOnce.Do(func() { close(h.subscribed) })
			}
		})
		err := h.client.Receive(sctx, h.client.B().Psubscribe().Pattern(h.log.pattern()).Build(), h.onMessage)
		if ctx.Err() != nil {
			return nil
		}
		h.logger.Warn("realtime: hub subscription ended, re-subscribing", "err", err, "backoff", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// resyncRetry is how soon a failed repair of a window is tried again.
const resyncRetry = 250 * time.Millisecond

// retryResync asks for a resync of every event a little later: a repair that
// failed (Redis unreachable) must not leave a gap until the next message.
func (h *Hub) retryResync() {
	if h.retrying.CompareAndSwap(false, true) {
		time.AfterFunc(resyncRetry, func() {
			h.retrying.Store(false)
			h.requestResync()
		})
	}
}

// onMessage runs on rueidis's connection: it must never block, so a full
// queue drops the message and asks for a resync, which fills any gap.
func (h *Hub) onMessage(m rueidis.PubSubMessage) {
	id, ok := h.log.eventOfChannel(m.Channel)
	if !ok {
		return
	}
	h.mu.Lock()
	_, live := h.events[id]
	h.mu.Unlock()
	if !live {
		return // no client of this node follows the event: nothing to keep
	}
	select {
	case h.msgs <- pubMsg{event: id, payload: m.Message}:
	default:
		h.requestResync()
	}
}

// Idle windows are dropped: an event nobody polled on this node for
// idleAfter costs nothing but its entry in Redis.
const (
	idleAfter = 10 * time.Minute
	idleSweep = time.Minute
)

func (h *Hub) dispatch(ctx context.Context) {
	sweep := time.NewTicker(idleSweep)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-h.msgs:
			h.handle(ctx, m)
		case <-h.resync:
			h.resyncAll(ctx)
		case now := <-sweep.C:
			h.evictIdle(now.Add(-idleAfter))
		}
	}
}

// evictIdle drops the windows last polled before cutoff with nobody waiting
// (a window counts as polled at the sweep after its last poll). A Poll still
// holding one is woken and finds it gone (then loads afresh).
func (h *Hub) evictIdle(cutoff time.Time) {
	now := time.Now().UnixNano()
	h.mu.Lock()
	var gone []*liveEvent
	for id, ev := range h.events {
		if ev.polled.Swap(false) {
			ev.lastUsed.Store(now)
		}
		if ev.waiters.Load() == 0 && ev.lastUsed.Load() < cutoff.UnixNano() {
			delete(h.events, id)
			gone = append(gone, ev)
		}
	}
	h.mu.Unlock()
	for _, ev := range gone {
		ev.mu.Lock()
		ev.gone = true
		ev.wakeAll()
		ev.mu.Unlock()
	}
}

func (h *Hub) handle(ctx context.Context, m pubMsg) {
	ev := h.lookup(m.event)
	if ev == nil {
		return
	}
	epoch, body, ok := strings.Cut(m.payload, " ")
	if !ok {
		return
	}
	ev.fill.Lock()
	defer ev.fill.Unlock()
	if !ev.loaded {
		return
	}
	if !strings.HasPrefix(body, "{") { // an epoch change: "<epoch> <head>"
		if epoch != ev.currentEpoch() {
			h.reloadLocked(ctx, ev)
		}
		return
	}
	var e live.Entry
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		h.logger.Error("realtime: hub: bad entry on subscription", "event", m.event, "err", err)
		return
	}
	h.applyLocked(ctx, ev, epoch, rawEntry{Entry: e, raw: []byte(body)})
}

// applyLocked adds a published entry to the window, filling a gap first.
// Caller holds ev.fill.
func (h *Hub) applyLocked(ctx context.Context, ev *liveEvent, epoch string, r rawEntry) {
	ev.mu.Lock()
	if epoch != ev.epoch {
		ev.mu.Unlock()
		h.reloadLocked(ctx, ev)
		return
	}
	switch {
	case r.Seq == ev.head+1:
		ev.push(r)
		ws := h.scheduleWake(ev)
		ev.mu.Unlock()
		wakeSleepers(ws)
	case r.Seq <= ev.head:
		// Already held (a fill raced the message), unless the content differs:
		// then Redis lost its tail and reassigned seqs we have served.
		diverged := ev.holds(r.Seq) && !bytes.Equal(ev.at(r.Seq).raw, r.raw)
		ev.mu.Unlock()
		if diverged {
			h.lostTailLocked(ctx, ev)
		}
	default:
		ev.mu.Unlock()
		h.fillLocked(ctx, ev)
	}
}

// scheduleWake wakes the event's waiters for a new entry, at most once per
// batch window: the first entry after a quiet window wakes them at once (a
// lone post costs no wait), and what follows within the window is gathered
// into one wake-up at its end, so a burst wakes its waiters at most twice.
// It returns the wake-ups to deliver once the caller lets go of
// ev.mu. Caller holds ev.mu.
func (h *Hub) scheduleWake(ev *liveEvent) []sleeperWake {
	if h.batch < 0 {
		return ev.wakeWaiters()
	}
	if ev.pending {
		return nil
	}
	now := time.Now()
	if next := ev.lastWake.Add(h.batch); now.Before(next) {
		ev.pending = true
		time.AfterFunc(next.Sub(now), func() {
			ev.mu.Lock()
			ev.pending = false
			ev.lastWake = time.Now()
			ws := ev.wakeWaiters()
			ev.mu.Unlock()
			wakeSleepers(ws) // on this goroutine already: no hop to another
		})
		return nil
	}
	ev.lastWake = now
	return ev.wakeWaiters()
}

// fillBatch is how many entries one gap-filling read asks for.
const fillBatch = 1000

// fillLocked reads every entry after the window's head from Redis. Caller holds ev.fill.
func (h *Hub) fillLocked(ctx context.Context, ev *liveEvent) {
	for {
		ev.mu.RLock()
		after := ev.head
		ev.mu.RUnlock()
		raws, err := h.log.rangeRaw(ctx, ev.id, after, fillBatch)
		h.countCommands(1)
		if err != nil {
			h.logger.Error("realtime: hub: fill gap", "event", ev.id, "after", after, "err", err)
			h.retryResync()
			return
		}
		if len(raws) > 0 && raws[0].Seq != after+1 {
			// Redis no longer holds what follows our head: start the window again.
			h.reloadLocked(ctx, ev)
			return
		}
		ev.mu.Lock()
		for _, r := range raws {
			if r.Seq == ev.head+1 {
				ev.push(r)
			}
		}
		var ws []sleeperWake
		if len(raws) > 0 {
			ws = h.scheduleWake(ev)
		}
		ev.mu.Unlock()
		wakeSleepers(ws)
		if len(raws) < fillBatch {
			return
		}
	}
}

// syncLocked compares the window with Redis and repairs it. Caller holds ev.fill.
func (h *Hub) syncLocked(ctx context.Context, ev *liveEvent) {
	epoch, head, err := h.log.Head(ctx, ev.id)
	h.countCommands(1)
	if err != nil {
		h.logger.Error("realtime: hub: resync", "event", ev.id, "err", err)
		h.retryResync()
		return
	}
	ev.mu.RLock()
	myEpoch, myHead := ev.epoch, ev.head
	ev.mu.RUnlock()
	switch {
	case epoch != myEpoch:
		h.reloadLocked(ctx, ev)
	case head < myHead:
		h.lostTailLocked(ctx, ev)
	case head > myHead:
		h.fillLocked(ctx, ev)
	}
}

// lostTailLocked handles a log whose head went below what this hub served:
// the log gets a new epoch so clients reset instead of diverging.
func (h *Hub) lostTailLocked(ctx context.Context, ev *liveEvent) {
	old := ev.currentEpoch()
	epoch, head, err := h.log.NewEpoch(ctx, ev.id, old)
	h.countCommands(1)
	if err != nil {
		h.logger.Error("realtime: hub: new epoch after lost tail", "event", ev.id, "err", err)
		h.retryResync()
		return
	}
	h.logger.Warn("realtime: live log lost its tail: new epoch", "event", ev.id, "old_epoch", old, "epoch", epoch, "head", head)
	h.reloadLocked(ctx, ev)
}

func (h *Hub) resyncAll(ctx context.Context) {
	evs := h.liveEvents()
	for _, ev := range evs {
		ev.fill.Lock()
		if ev.loaded {
			h.syncLocked(ctx, ev)
		}
		ev.fill.Unlock()
	}
}

// reloadLocked loads the window afresh from Redis and wakes every waiter.
// Caller holds ev.fill.
func (h *Hub) reloadLocked(ctx context.Context, ev *liveEvent) {
	if err := h.loadLocked(ctx, ev); err != nil {
		h.logger.Error("realtime: hub: reload window", "event", ev.id, "err", err)
		h.retryResync()
	}
}

// loadLocked reads the epoch, head and the last Window entries. Caller holds ev.fill.
func (h *Hub) loadLocked(ctx context.Context, ev *liveEvent) error {
	epoch, head, err := h.log.Head(ctx, ev.id)
	h.countCommands(1)
	if err != nil {
		return err
	}
	raws, err := h.log.rangeRaw(ctx, ev.id, max(0, head-h.window), int(h.window))
	h.countCommands(1)
	if err != nil {
		return err
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	ev.epoch, ev.head, ev.count = epoch, head, 0
	if len(raws) > 0 {
		ev.head = raws[0].Seq - 1
		for _, r := range raws {
			if r.Seq == ev.head+1 {
				ev.push(r)
			}
		}
	}
	ev.loaded = true
	ev.wakeAll()
	return nil
}
