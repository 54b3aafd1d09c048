package realtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/live"
)

// ErrDraining is returned by Poll once Drain was called.
var ErrDraining = errors.New("realtime: draining")

// Archive serves entries older than Redis holds (Postgres in production).
type Archive interface {
	// EntriesAfter returns the public entries with after < seq <= upTo, in
	// seq order, at most limit.
	EntriesAfter(ctx context.Context, eventID int64, after, upTo int64, limit int) ([]live.Entry, error)
}

// HubOptions tune a Hub. Zero values take the defaults.
type HubOptions struct {
	// Window is how many entries are kept in memory per event (default 1000).
	Window int
	// Batch is how long an arrival waits for more before waking waiters, so
	// a burst gives one answer per waiter (default 2ms; negative: no wait).
	Batch time.Duration
	// Metrics, when set, receives the hub's counters.
	Metrics *Metrics
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Page is a Poll's answer.
type Page struct {
	// Entries are the public entries after the poll's since, oldest first.
	// They are shared between callers: never modify them.
	Entries []live.Entry `json:"entries"`
	// Next is the seq to poll after next (the last seq covered, public or not).
	Next int64 `json:"next"`
	// More says entries after Next exist already (the page was cut).
	More bool `json:"more,omitempty"`
	// Reset says the client's epoch or since is not of this log: it must
	// start again from a snapshot.
	Reset bool `json:"reset,omitempty"`
	// Epoch and Head describe the log when the page was cut.
	Epoch string `json:"epoch"`
	Head  int64  `json:"head"`
	// Served says where the entries came from: "memory", "redis" or "postgres".
	Served string `json:"-"`
	// Raw holds Entries pre-encoded as JSON, index for index, ready to write.
	Raw []json.RawMessage `json:"-"`
	// JSON, when set, is the whole page encoded as the Live API answers it,
	// cut once for all the waiters an arrival wakes. Never modify it.
	JSON []byte `json:"-"`
}

// Snapshot is the newest public items of an event with the log position
// they reflect: a client shows Items and polls since Head.
type Snapshot struct {
	Items []live.Item
	Epoch string
	Head  int64
}

// Where pages are served from.
const (
	ServedMemory   = "memory"
	ServedRedis    = "redis"
	ServedPostgres = "postgres"
)

// defaultLimit is the page size when Poll is given none.
const defaultLimit = 100

// Hub answers the long polls of one web node from an in-memory window per
// event, fed by one Redis subscription for all events.
type Hub struct {
	client  rueidis.Client
	log     *Log
	archive Archive
	window  int64
	batch   time.Duration
	metrics *Metrics
	logger  *slog.Logger

	mu     sync.Mutex
	events map[int64]*liveEvent

	draining atomic.Bool
	// waiting counts the polls parked on this node (the dashboard shows it).
	waiting atomic.Int64

	msgs     chan pubMsg
	resync   chan struct{}
	retrying atomic.Bool

	subscribed     chan struct{}
	subscribedOnce sync.Once
}

// pubMsg is one message of the subscription, parsed in the dispatcher.
type pubMsg struct {
	event   int64
	payload string
}

// liveEvent is a hub's window on one event's log.
type liveEvent struct {
	id    int64
	ready chan struct{} // closed once the first load ended
	err   error         // the first load's error, read after ready

	// fill serialises everything that changes the window from Redis or the
	// subscription: loads, gap fills, resyncs and applying messages.
	fill   sync.Mutex
	loaded bool // under fill

	mu      sync.RWMutex
	epoch   string
	head    int64
	count   int64      // entries held, the newest at head
	ring    []rawEntry // entry of seq s at s % len(ring)
	wake    chan struct{}
	pending bool // a wake-up is scheduled
	gone    bool // evicted from the hub: its Polls must look the event up again

	lastUsed atomic.Int64 // unix nanoseconds of the last Poll
	waiters  atomic.Int32

	// pages are the pages cut at the current head and epoch, by (since,
	// limit): the waiters woken together ask for the same few pages, each
	// then cut once.
	pagesMu    sync.Mutex
	pages      map[[2]int64]Page
	pagesHead  int64
	pagesEpoch string
}

// NewHub returns a hub over client and log. archive may be nil (then a since
// older than Redis resets the client).
func NewHub(client rueidis.Client, log *Log, archive Archive, opts HubOptions) *Hub {
	if opts.Window <= 0 {
		opts.Window = 1000
	}
	if opts.Batch == 0 {
		opts.Batch = 2 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Hub{
		client: client, log: log, archive: archive,
		window: int64(opts.Window), batch: opts.Batch, metrics: opts.Metrics, logger: opts.Logger,
		events: map[int64]*liveEvent{},
		msgs:   make(chan pubMsg, 65536),
		resync: make(chan struct{}, 1),

		subscribed: make(chan struct{}),
	}
}

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

// Waiting returns how many polls are parked on this node right now.
func (h *Hub) Waiting() int64 { return h.waiting.Load() }

// Subscribed is closed once Run's subscription is first confirmed: from then
// on the hub hears every append (readiness checks and tests wait on it).
func (h *Hub) Subscribed() <-chan struct{} { return h.subscribed }

func (h *Hub) requestResync() {
	select {
	case h.resync <- struct{}{}:
	default:
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

// evictIdle drops the windows last polled before cutoff with nobody waiting.
// A Poll still holding one is woken and finds it gone (then loads afresh).
func (h *Hub) evictIdle(cutoff time.Time) {
	h.mu.Lock()
	var gone []*liveEvent
	for id, ev := range h.events {
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

func (h *Hub) lookup(id int64) *liveEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.events[id]
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
		h.scheduleWake(ev)
		ev.mu.Unlock()
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

// scheduleWake wakes the event's waiters after the batch window. Caller holds ev.mu.
func (h *Hub) scheduleWake(ev *liveEvent) {
	if h.batch < 0 {
		ev.wakeAll()
		return
	}
	if ev.pending {
		return
	}
	ev.pending = true
	time.AfterFunc(h.batch, func() {
		ev.mu.Lock()
		ev.pending = false
		ev.wakeAll()
		ev.mu.Unlock()
	})
}

func (h *Hub) countCommands(n int) {
	if h.metrics != nil {
		h.metrics.HubRedisCommands.Add(float64(n))
	}
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
		if len(raws) > 0 {
			h.scheduleWake(ev)
		}
		ev.mu.Unlock()
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

// liveEvents returns the windows the hub holds now.
func (h *Hub) liveEvents() []*liveEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Collect(maps.Values(h.events))
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

// event returns the hub's window on an event, loading it on first use.
func (h *Hub) event(ctx context.Context, id int64) (*liveEvent, error) {
	h.mu.Lock()
	ev := h.events[id]
	if ev == nil {
		ev = &liveEvent{id: id, ready: make(chan struct{}), ring: make([]rawEntry, h.window), wake: make(chan struct{})}
		ev.fill.Lock()
		h.events[id] = ev
		h.mu.Unlock()
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		ev.err = h.loadLocked(lctx, ev)
		cancel()
		ev.fill.Unlock()
		if ev.err != nil {
			h.mu.Lock()
			delete(h.events, id)
			h.mu.Unlock()
		}
		close(ev.ready)
	} else {
		h.mu.Unlock()
	}
	select {
	case <-ev.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if ev.err != nil {
		return nil, fmt.Errorf("realtime: load event %d: %w", id, ev.err)
	}
	return ev, nil
}

// InMemory reports whether a poll at since is answered from this node's
// memory (cheap: at or near the head).
func (h *Hub) InMemory(eventID int64, since int64) bool {
	ev := h.lookup(eventID)
	if ev == nil {
		return false
	}
	select {
	case <-ev.ready:
	default:
		return false
	}
	if ev.err != nil {
		return false
	}
	ev.mu.RLock()
	defer ev.mu.RUnlock()
	return since >= ev.head-ev.count && since <= ev.head
}

// Snapshot returns the newest public items (at most limit, oldest first) with
// the epoch and head they reflect, read atomically from Redis.
func (h *Hub) Snapshot(ctx context.Context, eventID int64, limit int) (Snapshot, error) {
	if _, err := h.event(ctx, eventID); err != nil {
		return Snapshot{}, err
	}
	epoch, head, items, err := h.log.snapshot(ctx, eventID, limit)
	h.countCommands(1)
	if err != nil {
		return Snapshot{}, err
	}
	return Snapshot{Items: items, Epoch: epoch, Head: head}, nil
}

// Drain wakes every waiter now (each answers with what it has) and makes
// new Polls return ErrDraining.
func (h *Hub) Drain() {
	h.draining.Store(true)
	evs := h.liveEvents()
	for _, ev := range evs {
		ev.mu.Lock()
		ev.wakeAll()
		ev.mu.Unlock()
	}
}

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
		ev.lastUsed.Store(time.Now().UnixNano())
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
	close(ev.wake)
	ev.wake = make(chan struct{})
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
