// Polls and streams parked without a goroutine of their own (the loop
// server's): a sleeper registered on an event's window is woken by a call,
// not a channel, and answers on the event loop that owns its connection.

package realtime

import (
	"sync/atomic"
)

// waker is what owns a sleeper: hubWake is called once per registration, on
// a goroutine of the hub's, never under its locks, when an arrival, a drain
// or an eviction may answer it. gen is the generation the sleeper was
// registered with, so the owner can tell a wake-up meant for a wait it has
// already left.
type waker interface {
	hubWake(gen uint32)
}

// sleeper is a registration on one event's window: an intrusive list node,
// so parking and leaving cost no allocation and no search.
type sleeper struct {
	owner      waker
	ev         atomic.Pointer[liveEvent] // where it is registered; nil when not
	gen        uint32                    // under the event's sleepMu
	prev, next *sleeper                  // under the event's sleepMu
}

// sleepers is an event's list of registered sleepers.
type sleepers struct {
	head *sleeper
	n    int
}

// addSleeper registers s with generation gen. Caller holds ev.mu (read or
// write), so a wakeAll cannot run between the caller's look at the window and
// the registration: nothing that arrives after the look is missed.
func (ev *liveEvent) addSleeper(s *sleeper, gen uint32) {
	ev.sleepMu.Lock()
	s.gen = gen
	s.prev, s.next = nil, ev.sleepers.head
	if s.next != nil {
		s.next.prev = s
	}
	ev.sleepers.head = s
	ev.sleepers.n++
	s.ev.Store(ev)
	ev.sleepMu.Unlock()
	ev.waiters.Add(1)
}

// leave unregisters s if it still is registered and reports whether it was
// (false: a wake-up took it and is on its way to the owner).
func (s *sleeper) leave() bool {
	ev := s.ev.Load()
	if ev == nil {
		return false
	}
	ev.sleepMu.Lock()
	if s.ev.Load() != ev {
		ev.sleepMu.Unlock()
		return false
	}
	if s.prev != nil {
		s.prev.next = s.next
	} else {
		ev.sleepers.head = s.next
	}
	if s.next != nil {
		s.next.prev = s.prev
	}
	s.prev, s.next = nil, nil
	ev.sleepers.n--
	s.ev.Store(nil)
	ev.sleepMu.Unlock()
	ev.waiters.Add(-1)
	return true
}

// sleeperWake is one wake-up to deliver.
type sleeperWake struct {
	owner waker
	gen   uint32
}

// takeSleepers unregisters every sleeper and returns their wake-ups.
// Caller holds ev.mu.
func (ev *liveEvent) takeSleepers() []sleeperWake {
	ev.sleepMu.Lock()
	defer ev.sleepMu.Unlock()
	if ev.sleepers.n == 0 {
		return nil
	}
	out := make([]sleeperWake, 0, ev.sleepers.n)
	for s := ev.sleepers.head; s != nil; {
		next := s.next
		out = append(out, sleeperWake{s.owner, s.gen})
		s.prev, s.next = nil, nil
		s.ev.Store(nil)
		s = next
	}
	ev.waiters.Add(-int32(ev.sleepers.n))
	ev.sleepers = sleepers{}
	return out
}

// wakeSleepers delivers wake-ups, off every lock of the hub.
func wakeSleepers(ws []sleeperWake) {
	for _, w := range ws {
		w.owner.hubWake(w.gen)
	}
}

// pollOutcome is what a poll tried without blocking came to.
type pollOutcome int

const (
	// pollAnswered: the page answers the poll (entries, a reset, or the
	// empty page of a draining node).
	pollAnswered pollOutcome = iota
	// pollParked: nothing to answer yet; the sleeper is registered.
	pollParked
	// pollBlocked: answering needs Redis or Postgres (a since behind the
	// window or beyond its head, a window that was dropped): go on with Poll
	// on a goroutine.
	pollBlocked
)

// readyEvent returns the hub's window on an event when it is loaded and
// usable now, without waiting or loading; nil otherwise.
func (h *Hub) readyEvent(id int64) *liveEvent {
	ev := h.lookup(id)
	if ev == nil {
		return nil
	}
	select {
	case <-ev.ready:
	default:
		return nil
	}
	if ev.err != nil {
		return nil
	}
	return ev
}

// covers reports whether a poll at since is answered from the window (the
// test of Hub.InMemory on a window in hand).
func (ev *liveEvent) covers(since int64) bool {
	ev.mu.RLock()
	defer ev.mu.RUnlock()
	return !ev.gone && since >= ev.head-ev.count && since <= ev.head
}

// tryPoll is one attempt of a poll that has no goroutine to wait on: it
// answers from the window when it can, else registers s (with generation
// gen) to be woken at the next arrival, else reports that the poll must go
// on where it may block. poll.ev must be set (readyEvent). A page of entries
// counts as delivered; after a wake-up set poll.woken first, as Poll does.
func (h *Hub) tryPoll(poll *pollState, s *sleeper, gen uint32) (Page, pollOutcome) {
	ev := poll.ev
	ev.touch()
	ev.mu.RLock()
	defer ev.mu.RUnlock()
	switch {
	case ev.gone:
		return Page{}, pollBlocked
	case poll.epoch != "" && poll.epoch != ev.epoch:
		return ev.resetPage(), pollAnswered
	case poll.cur > ev.head, poll.cur < ev.head-ev.count:
		return Page{}, pollBlocked
	}
	if poll.epoch != "" {
		// The same text: keep the window's string, so that the next poll
		// of this connection compares pointers, not bytes.
		poll.epoch = ev.epoch
	}
	p := ev.cachedCollect(poll.cur, poll.limit)
	if len(p.Entries) > 0 {
		h.delivered(p, poll.woken)
		return p, pollAnswered
	}
	poll.cur = p.Next // skip entries clients must not see
	if h.draining.Load() {
		return p, pollAnswered
	}
	ev.addSleeper(s, gen)
	return p, pollParked
}
