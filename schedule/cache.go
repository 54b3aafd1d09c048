package schedule

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/backchannel/backchannel/live"
)

// Loader reads an event's schedule (the wiring gives one over the store).
type Loader func(ctx context.Context, eventID int64) (*Schedule, error)

// CacheOptions tune a Cache; zero values take the defaults.
type CacheOptions struct {
	// TTL is how long a copy is used before it is read again (default 5 s):
	// a schedule edited on another node places posts within TTL.
	TTL time.Duration
	// Timeout bounds one load (default 2 s): ingest never waits longer.
	Timeout time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
}

// Cache keeps each event's compiled schedule for ingest: one load per event
// at a time, and the last good copy while loads fail (a Postgres outage).
// It is safe for concurrent use.
type Cache struct {
	load   Loader
	opts   CacheOptions
	flight singleflight.Group

	mu      sync.RWMutex
	byEvent map[int64]cachedSchedule
}

type cachedSchedule struct {
	s       *Schedule
	expires time.Time
}

// NewCache returns a cache over load.
func NewCache(load Loader, opts CacheOptions) *Cache {
	if opts.TTL <= 0 {
		opts.TTL = 5 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Cache{load: load, opts: opts, byEvent: map[int64]cachedSchedule{}}
}

// Of returns the event's schedule: the cached copy within TTL, else a fresh
// load, else (the load failed) the last good copy. ok is false only when
// there has never been a copy.
func (c *Cache) Of(ctx context.Context, eventID int64) (s *Schedule, ok bool) {
	c.mu.RLock()
	cur, have := c.byEvent[eventID]
	c.mu.RUnlock()
	if have && c.opts.Now().Before(cur.expires) {
		return cur.s, true
	}
	v, _, _ := c.flight.Do(strconv.FormatInt(eventID, 10), func() (any, error) {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.Timeout)
		defer cancel()
		fresh, err := c.load(lctx, eventID)
		c.mu.Lock()
		defer c.mu.Unlock()
		prev, had := c.byEvent[eventID]
		if err != nil {
			c.opts.Logger.Warn("schedule: load failed; placing with the last good copy", "event", eventID, "have_copy", had, "err", err)
			if !had {
				return (*Schedule)(nil), nil
			}
			fresh = prev.s // try again in a TTL
		}
		c.byEvent[eventID] = cachedSchedule{s: fresh, expires: c.opts.Now().Add(c.opts.TTL)}
		return fresh, nil
	})
	s = v.(*Schedule)
	return s, s != nil
}

// Invalidate drops the copy of an event: the next placement reads it again
// (after an edit on this node; other nodes see it within TTL).
func (c *Cache) Invalidate(eventID int64) {
	c.mu.Lock()
	if cur, ok := c.byEvent[eventID]; ok {
		cur.expires = time.Time{}
		c.byEvent[eventID] = cur // the copy stays as the last good one
	}
	c.mu.Unlock()
}

// Apply places it in the event's schedule (Schedule.Apply). Without any
// copy of the schedule it leaves the item unplaced: the strainer places it.
func (c *Cache) Apply(ctx context.Context, eventID int64, it *live.Item) {
	c.ApplyFrom(ctx, eventID, it, "")
}

// ApplyFrom is Apply for an attendee's post made from the page of room
// ("" for none): unless it names its session page, the room's session at
// its created_at (Schedule.InRoomAt) becomes its FromSession first, so
// the rule's page step keeps it in that room.
func (c *Cache) ApplyFrom(ctx context.Context, eventID int64, it *live.Item, room string) {
	s, ok := c.Of(ctx, eventID)
	if !ok {
		return
	}
	if it.FromSession == "" {
		if x := s.InRoomAt(room, it.CreatedAt); x != nil {
			it.FromSession = x.Slug
		}
	}
	s.Apply(it)
}
