package store

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/backchannel/backchannel/models"
)

// EventsOptions tune an Events lookup; zero values take the defaults.
type EventsOptions struct {
	// TTL is how long a copy is served without asking Postgres (default
	// 2 s): a long poll costs no query in steady state, and an edit made on
	// another node shows within TTL.
	TTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Events is the one event-by-slug lookup of every handler (the live API and
// its fast path, the pages, the archive, the events API): one short-lived
// copy per slug, one query per slug at a time (singleflight), and a last
// good copy that outlives Postgres. When Postgres cannot be reached the
// lookup keeps serving the last copy it had, event and sessions, so the
// live stream, the posts and the live page keep working through an outage
// (docs/ARCHITECTURE.md, "When Postgres is down"); it tries Postgres again
// about once per TTL.
//
// A copy in use is read again ahead of its end: a lookup in the last
// quarter of its TTL starts one read in the background and goes on with the
// copy, so a hot event never expires under the live fast path (which would
// otherwise hand a whole wave of long polls to fiber's handler once per
// TTL) and no request waits for Postgres in steady state.
//
// The events it returns are shared by every caller: never modify them.
type Events struct {
	store  *Store
	ttl    time.Duration
	now    func() time.Time
	logger *slog.Logger

	mu      sync.RWMutex
	bySlug  map[string]*cachedEvent
	flight  singleflight.Group
	version uint64 // bumped by Invalidate: loads begun before it are not kept
}

type cachedEvent struct {
	ev        *models.Event // nil: no such event (kept for TTL too)
	expires   time.Time
	refreshAt time.Time   // from here a lookup reads it again in the background
	renewing  atomic.Bool // that read has started
	stale     bool        // Postgres failed since this copy was read
	errLoad   error       // the load failed and there was no copy (never kept)
}

// maxCachedEvents bounds the lookup; it is cleared when full (slugs are
// checked before they get here, so only a scan of real slugs could fill it).
const maxCachedEvents = 10000

// NewEvents returns the cached lookup over s.
func NewEvents(s *Store, opts EventsOptions) *Events {
	if opts.TTL <= 0 {
		opts.TTL = 2 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Events{store: s, ttl: opts.TTL, now: opts.Now, logger: opts.Logger, bySlug: map[string]*cachedEvent{}}
}

// BySlug returns the event called slug with its sessions, or an error
// matching models.NotFound. Within TTL it answers from memory; after, it
// asks Postgres once for every caller, and when Postgres cannot be reached
// it answers with the last good copy (an unknown event then fails with an
// error matching models.ErrUnavailable).
func (e *Events) BySlug(ctx context.Context, slug string) (*models.Event, error) {
	now := e.now()
	e.mu.RLock()
	c, ok := e.bySlug[slug]
	e.mu.RUnlock()
	if ok && now.Before(c.expires) {
		if c.dueForRenewal(now) {
			go e.renew(strings.Clone(slug))
		}
		return c.answer(slug)
	}
	// The slug may alias a request buffer that fasthttp reuses (fiber's
	// Params): the map and singleflight keep a copy of their own.
	slug = strings.Clone(slug)
	v, err, _ := e.flight.Do(slug, func() (any, error) { return e.load(slug), nil })
	if err != nil {
		return nil, err
	}
	return v.(*cachedEvent).answer(slug)
}

// Fresh returns the event called slug when a copy within its TTL is in
// memory, without any I/O (and without allocating, but for starting a
// renewal once per TTL): the live fast path's lookup, which hands
// everything else to BySlug.
func (e *Events) Fresh(slug []byte) (*models.Event, bool) {
	e.mu.RLock()
	c, ok := e.bySlug[string(slug)]
	e.mu.RUnlock()
	if !ok || c.ev == nil {
		return nil, false
	}
	now := e.now()
	if !now.Before(c.expires) {
		return nil, false
	}
	if c.dueForRenewal(now) {
		go e.renew(string(slug))
	}
	return c.ev, true
}

// dueForRenewal reports, once, that a copy is in the last quarter of its
// TTL: the caller starts the read that replaces it (renew).
func (c *cachedEvent) dueForRenewal(now time.Time) bool {
	return c.ev != nil && !now.Before(c.refreshAt) && c.renewing.CompareAndSwap(false, true)
}

// renew reads the event again in the background; the copy answers meanwhile.
func (e *Events) renew(slug string) {
	_, _, _ = e.flight.Do(slug, func() (any, error) { return e.load(slug), nil })
}

// Invalidate drops the copy of an event (and every "no such event"), so the
// next lookup reads Postgres: called after the admin changed the event, its
// sessions or its slug on this node. Other nodes see it within TTL.
func (e *Events) Invalidate(eventID int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.version++
	for slug, c := range e.bySlug {
		if c.ev == nil || c.ev.ID == eventID {
			delete(e.bySlug, slug)
		}
	}
}

// load reads the event from Postgres and keeps what it learnt. It returns
// the entry to answer with: the new copy, the last good one when Postgres
// failed, or an entry holding no event.
func (e *Events) load(slug string) *cachedEvent {
	e.mu.RLock()
	prev := e.bySlug[slug]
	version := e.version
	e.mu.RUnlock()
	// With a copy to fall back on, nobody waits long for a Postgres that
	// does not answer.
	timeout := 5 * time.Second
	if prev != nil && prev.ev != nil {
		timeout = 2 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ev, err := e.store.EventBySlug(ctx, slug)
	now := e.now()
	var next *cachedEvent
	switch {
	case err == nil:
		next = e.copyOf(ev, now)
	case errors.Is(err, models.ErrNotFound):
		next = e.copyOf(nil, now)
	case prev != nil && prev.ev != nil:
		if !prev.stale {
			e.logger.Warn("store: Postgres unavailable; serving the last good copy of the event", "event", slug, "err", err)
		}
		// Try again within a TTL, serving the copy meanwhile.
		next = e.copyOf(prev.ev, now)
		next.stale = true
	default:
		return &cachedEvent{errLoad: err}
	}
	e.mu.Lock()
	if e.version == version {
		if len(e.bySlug) >= maxCachedEvents {
			clear(e.bySlug)
		}
		e.bySlug[slug] = next
	}
	e.mu.Unlock()
	return next
}

// copyOf is an entry read at now: it answers for a TTL and is read again
// from its last quarter.
func (e *Events) copyOf(ev *models.Event, now time.Time) *cachedEvent {
	return &cachedEvent{ev: ev, expires: now.Add(e.ttl), refreshAt: now.Add(e.ttl - e.ttl/4)}
}

func (c *cachedEvent) answer(slug string) (*models.Event, error) {
	if c.errLoad != nil {
		return nil, c.errLoad
	}
	if c.ev == nil {
		return nil, models.NotFound("event", slug)
	}
	return c.ev, nil
}
