package sources

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backchannel/backchannel/live"
)

// Heartbeats are how long each stream may stay silent (not even a
// keep-alive) before its runner treats it as dead and reconnects.
type Heartbeats struct {
	Mastodon time.Duration // default 15s (servers send ":thump" every 10s)
	X        time.Duration // default 20s (X sends a blank line every 20s at most)
	Bluesky  time.Duration // default 30s (Jetstream has no keep-alive; the firehose is never quiet)
}

// ManagerOptions tune a Manager; zero values take the defaults given.
type ManagerOptions struct {
	// Namespace prefixes every Redis key ("" in production).
	Namespace string
	// Holder names this worker in the dashboard (default hostname:pid).
	Holder string
	// LeaseTTL is how long a lease outlives its holder (default 10s);
	// RenewEvery how often the holder extends it (default 3s).
	LeaseTTL, RenewEvery time.Duration
	// AcquireEvery is how often free leases are tried (default 1s), and
	// ReloadEvery how often the enabled sources are re-read (default 5s).
	AcquireEvery, ReloadEvery time.Duration
	// CursorDelay: a cursor is saved only once the items before it were
	// appended this long ago (default 3s, above Redis's everysec AOF).
	CursorDelay time.Duration
	// RulesEvery is how often a runner re-reads its event's moderation rules (default 10s).
	RulesEvery time.Duration
	// StateEvery is how often a runner writes its state (default 1s).
	StateEvery time.Duration
	Heartbeats Heartbeats
	Backoff    Backoff
	// MastodonPollEvery is the REST polling interval when a Mastodon stream
	// is unavailable (default 30s; a source's every overrides it).
	MastodonPollEvery time.Duration
	// ReplayEvery is the default interval of replay sources (default 3s).
	ReplayEvery time.Duration
	// XBackfillMinutes asks X to resend up to this many minutes after a
	// reconnect (0: off; needs an access level that allows it).
	XBackfillMinutes int
	// BlueskyProfileWait is the longest a Bluesky runner waits for an
	// unknown author's profile before appending the post with the DID as
	// author (an update follows; default 300ms). BlueskyProfileTTL is how
	// long profiles stay cached, in memory and in Redis (default 1h).
	BlueskyProfileWait, BlueskyProfileTTL time.Duration
	// HTTPClient makes every request (default: no overall timeout, since
	// streams stay open; polls set their own deadline).
	HTTPClient *http.Client
	// Place, when set, places an item in its event's schedule (sets its
	// session and room) before it is appended (schedule.Cache.Apply), so
	// live pages can follow one room. Nil: items go unplaced to the
	// strainer, which places them.
	Place func(ctx context.Context, eventID int64, it *live.Item)
	// Getenv reads secrets named by token_env (default os.Getenv).
	Getenv func(string) string
	Logger *slog.Logger
	// Metrics, when set, receives the sources' Prometheus counters (items
	// appended, bad payloads, reconnects per kind; poll outcomes).
	Metrics prometheus.Registerer
}

func (o ManagerOptions) withDefaults() ManagerOptions {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.LeaseTTL, 10*time.Second)
	def(&o.RenewEvery, 3*time.Second)
	def(&o.AcquireEvery, time.Second)
	def(&o.ReloadEvery, 5*time.Second)
	def(&o.CursorDelay, 3*time.Second)
	def(&o.RulesEvery, 10*time.Second)
	def(&o.StateEvery, time.Second)
	def(&o.Heartbeats.Mastodon, 15*time.Second)
	def(&o.Heartbeats.X, 20*time.Second)
	def(&o.Heartbeats.Bluesky, 30*time.Second)
	def(&o.MastodonPollEvery, 30*time.Second)
	def(&o.ReplayEvery, 3*time.Second)
	def(&o.BlueskyProfileWait, 300*time.Millisecond)
	def(&o.BlueskyProfileTTL, time.Hour)
	o.Backoff = o.Backoff.withDefaults()
	if o.Holder == "" {
		host, _ := os.Hostname()
		o.Holder = fmt.Sprintf("%s:%d", host, os.Getpid())
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}
