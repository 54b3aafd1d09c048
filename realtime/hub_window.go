// The hub's window on one event: a ring of the last Window entries, the
// pages cut from it (shared by the waiters one arrival wakes) and the wake-up
// of the event's waiters.

package realtime

import (
	"sync"
	"sync/atomic"
	"time"
)

// liveEvent is a hub's window on one event's log.
type liveEvent struct {
	id    int64
	ready chan struct{} // closed once the first load ended
	err   error         // the first load's error, read after ready

	// fill serialises everything that changes the window from Redis or the
	// subscription: loads, gap fills, resyncs and applying messages.
	fill   sync.Mutex
	loaded bool // under fill

	mu       sync.RWMutex
	epoch    string
	head     int64
	count    int64      // entries held, the newest at head
	ring     []rawEntry // entry of seq s at s % len(ring)
	wake     chan struct{}
	pending  bool      // a wake-up is scheduled
	lastWake time.Time // of the last wake-up for an entry (see scheduleWake)
	gone     bool      // evicted from the hub: its Polls must look the event up again

	// polled is set by every poll (touch) and cleared by the idle sweep,
	// which then moves lastUsed (unix ns) to its own time: a poll reads no
	// clock and, mostly, writes nothing shared.
	polled   atomic.Bool
	lastUsed atomic.Int64
	waiters  atomic.Int32

	// pages are the pages cut at the current head and epoch, by (since,
	// limit): the waiters woken together ask for the same few pages, each
	// then cut once.
	pagesMu    sync.Mutex
	pages      map[[2]int64]Page
	pagesHead  int64
	pagesEpoch string

	// sleepers are the polls and streams parked without a goroutine (the
	// loop server's), woken with the channel's waiters (hub_sleep.go).
	sleepMu  sync.Mutex
	sleepers sleepers
}

// push appends the entry at head+1. Caller holds ev.mu.
func (ev *liveEvent) push(r rawEntry) {
	ev.ring[r.Seq%int64(len(ev.ring))] = r
	ev.head = r.Seq
	if ev.count < int64(len(ev.ring)) {
		ev.count++
	}
}

// holds says whether seq is in the window. Caller holds ev.mu.
func (ev *liveEvent) holds(seq int64) bool { return seq > ev.head-ev.count && seq <= ev.head }

// at returns the entry of a held seq. Caller holds ev.mu.
func (ev *liveEvent) at(seq int64) *rawEntry { return &ev.ring[seq%int64(len(ev.ring))] }

// wakeAll releases every waiter. Caller holds ev.mu.
func (ev *liveEvent) wakeAll() {
	if ws := ev.wakeWaiters(); ws != nil {
		go wakeSleepers(ws)
	}
}

// wakeWaiters releases the goroutine waiters and returns the wake-ups of
// the sleepers, for the caller to deliver once it let go of ev.mu.
// Caller holds ev.mu.
func (ev *liveEvent) wakeWaiters() []sleeperWake {
	close(ev.wake)
	ev.wake = make(chan struct{})
	return ev.takeSleepers()
}

func (ev *liveEvent) currentEpoch() string {
	ev.mu.RLock()
	defer ev.mu.RUnlock()
	return ev.epoch
}

// resetPage tells a client to start again. Caller holds ev.mu.
func (ev *liveEvent) resetPage() Page {
	return Page{Reset: true, Epoch: ev.epoch, Head: ev.head, Next: ev.head, Served: ServedMemory}
}

// cachedCollect is collect, reusing a page already cut for the same since
// and limit at the same head and epoch. Caller holds ev.mu (read).
func (ev *liveEvent) cachedCollect(since int64, limit int) Page {
	ev.pagesMu.Lock()
	defer ev.pagesMu.Unlock()
	if ev.pages == nil || ev.pagesHead != ev.head || ev.pagesEpoch != ev.epoch {
		ev.pages, ev.pagesHead, ev.pagesEpoch = make(map[[2]int64]Page, 4), ev.head, ev.epoch
	}
	key := [2]int64{since, int64(limit)}
	if p, ok := ev.pages[key]; ok {
		return p
	}
	p := ev.collect(since, limit)
	if len(ev.pages) < 64 {
		if b, err := encodePage(p); err == nil {
			p.JSON = b
		}
		ev.pages[key] = p
	}
	return p
}

// collect cuts a page from the window after since. Caller holds ev.mu and
// has checked that the window covers since.
func (ev *liveEvent) collect(since int64, limit int) Page {
	p := Page{Epoch: ev.epoch, Head: ev.head, Served: ServedMemory, Next: since}
	for s := since + 1; s <= ev.head; s++ {
		r := ev.at(s)
		if r.Entry.Public() {
			if len(p.Entries) == limit {
				p.More = true
				break
			}
			p.Entries = append(p.Entries, r.Entry)
			p.Raw = append(p.Raw, r.raw)
		}
		p.Next = s
	}
	// Pages are shared between waiters: a caller's append must copy.
	p.Entries, p.Raw = p.Entries[:len(p.Entries):len(p.Entries)], p.Raw[:len(p.Raw):len(p.Raw)]
	return p
}

// touch marks the window as polled since the last idle sweep.
func (ev *liveEvent) touch() {
	if !ev.polled.Load() {
		ev.polled.Store(true)
	}
}
