package sources

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Heartbeats are how long each stream may stay silent (not even a
// keep-alive) before its runner treats it as dead and reconnects. Each sits
// 2.5 times above the upstream's own keep-alive interval, so a keep-alive
// that arrives late (a busy server, a slow proxy, timer jitter) never ends a
// healthy stream, and a quiet stream (a hashtag nobody posts to for an
// hour) stays connected: only a stream that missed two keep-alives in a row
// is dead.
type Heartbeats struct {
	// Mastodon: default 37.5s. Mastodon's streaming server writes ":thump"
	// every 15 s (streaming/index.js, streamToHttp: setInterval 15000).
	Mastodon time.Duration
	// X: default 50s. X sends a "\r\n" keep-alive every 20 s (docs.x.com,
	// handling disconnections), often a little later (tweepy 4.12.1 added a
	// second to its 20 s timeout for that reason).
	X time.Duration
	// Bluesky: default 30s. Jetstream sends no keep-alive; the network's
	// posts never stop for that long.
	Bluesky time.Duration
}

// Upstream keep-alive intervals (see Heartbeats) and the watchdog margin.
const (
	MastodonHeartbeat = 15 * time.Second
	XKeepAlive        = 20 * time.Second
	watchdogMargin    = 2.5
)

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
	// MastodonLateWindow is how far back in time (encoded in status ids)
	// every Mastodon backfill re-reads below the newest id seen, for
	// statuses that federated late (default 10m; a source's late_window
	// overrides it). MastodonLatePages caps that re-read (default 25 pages
	// of 40), so a busy tag costs at most that many requests per backfill.
	MastodonLateWindow time.Duration
	MastodonLatePages  int
	// HistoryPages caps the backfill of a source added after its event
	// began, paging back to the event's starts_at (default 250 pages: 10,000
	// Mastodon statuses).
	HistoryPages int
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
	// BlueskyProfileRetry is how long the AppView is left alone after a
	// failed lookup; the posts waiting for it are looked up again then, up
	// to profileRetries times (default 30s).
	BlueskyProfileRetry time.Duration
	// HTTPClient makes every request (default: no overall timeout, since
	// streams stay open; polls set their own deadline).
	HTTPClient *http.Client
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
	def(&o.Heartbeats.Mastodon, time.Duration(watchdogMargin*float64(MastodonHeartbeat)))
	def(&o.Heartbeats.X, time.Duration(watchdogMargin*float64(XKeepAlive)))
	def(&o.Heartbeats.Bluesky, 30*time.Second)
	def(&o.MastodonPollEvery, 30*time.Second)
	def(&o.MastodonLateWindow, 10*time.Minute)
	if o.MastodonLatePages <= 0 {
		o.MastodonLatePages = 25
	}
	if o.HistoryPages <= 0 {
		o.HistoryPages = 250
	}
	def(&o.ReplayEvery, 3*time.Second)
	def(&o.BlueskyProfileWait, 300*time.Millisecond)
	def(&o.BlueskyProfileTTL, time.Hour)
	def(&o.BlueskyProfileRetry, 30*time.Second)
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
