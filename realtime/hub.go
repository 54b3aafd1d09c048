// The hub: one window per event in this node's memory, fed by one Redis
// subscription, answering long polls and streams. Its concerns live in
// their own files: hub_dispatch.go (the subscription and the repairs that
// keep each window equal to Redis), hub_window.go (the ring of entries and
// the pages cut from it), hub_poll.go (a poll's state machine: answer, wait,
// answer again), hub_history.go (what is older than the window) and
// hub_page.go (the page a poll answers and its JSON).

package realtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/live"
)

// ErrDraining is returned by Poll once Drain was called.
var ErrDraining = errors.New("realtime: draining")

// HubOptions tune a Hub. Zero values take the defaults.
type HubOptions struct {
	// Window is how many entries are kept in memory per event (default 1000).
	Window int
	// Batch is the shortest time between two wake-ups of an event's waiters:
	// an entry after a quiet Batch wakes them at once, later ones within it
	// are gathered into one wake-up at its end, so a burst wakes waiters at
	// most twice (default 2ms; negative: wake on every entry).
	Batch time.Duration
	// Metrics, when set, receives the hub's counters.
	Metrics *Metrics
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Snapshot is the newest public items of an event with the log position
// they reflect: a client shows Items and polls since Head.
type Snapshot struct {
	Items []live.Item
	Epoch string
	Head  int64
}

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

func (h *Hub) lookup(id int64) *liveEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.events[id]
}

func (h *Hub) countCommands(n int) {
	if h.metrics != nil {
		h.metrics.HubRedisCommands.Add(float64(n))
	}
}

// liveEvents returns the windows the hub holds now.
func (h *Hub) liveEvents() []*liveEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Collect(maps.Values(h.events))
}

// event returns the hub's window on an event, loading it on first use.
func (h *Hub) event(ctx context.Context, id int64) (*liveEvent, error) {
	h.mu.Lock()
	ev := h.events[id]
	if ev == nil {
		ev = &liveEvent{id: id, ready: make(chan struct{}), ring: make([]rawEntry, h.window), wake: make(chan struct{})}
		ev.touch()
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
