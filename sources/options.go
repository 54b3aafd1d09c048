package sources

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/secrets"
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
	// Holder is this worker's identity (WORKER_ID in the app; default
	// hostname:pid): the dashboard shows it, and a worker restarted under the
	// same identity reclaims its sources at once (node.go). It may not
	// contain '#'.
	Holder string
	// NodeTTL is how long a worker's heartbeat outlives its last refresh,
	// and so how long a dead worker's sources wait for a standby (default
	// 1s); NodeBeatEvery how often a worker refreshes it (default 200ms);
	// TakeoverCheckEvery how often standbys check the heartbeats of the
	// holders they saw (default 250ms).
	NodeTTL, NodeBeatEvery, TakeoverCheckEvery time.Duration
	// LeaseTTL is how long a lease outlives a holder whose worker still
	// beats but stopped renewing it (default 10s); RenewEvery how often the
	// holder extends it (default 1s, which is also how soon a runner whose
	// lease was taken over stops).
	LeaseTTL, RenewEvery time.Duration
	// AcquireEvery is how often every free lease is tried (default 1s), and
	// ReloadEvery how often the enabled sources are re-read (default 5s).
	AcquireEvery, ReloadEvery time.Duration
	// AppendRetryFor is how long an append keeps retrying while Redis is
	// unreachable or loading, before the runner gives up and reconnects
	// (default 10s).
	AppendRetryFor time.Duration
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
	// HTTPClient makes every request: the app passes the outbound client
	// (package outbound) with its OUTBOUND_ALLOW_PRIVATE policy; the default
	// is that client with no private host allowed. It has no overall
	// timeout, since streams stay open; polls set their own deadline. The
	// manager wraps its transport so a source's secret goes only to the
	// source's own host (credentials.go).
	HTTPClient *http.Client
	// Place, when set, places an item in its event's schedule (sets its
	// session and room) before it is appended (schedule.Cache.Apply), so
	// live pages can follow one room. Nil: items go unplaced to the
	// strainer, which places them.
	Place func(ctx context.Context, eventID int64, it *live.Item)
	// Getenv reads secrets named by token_env (default os.Getenv);
	// SourceSecrets says which variables a token_env may name, for which
	// hosts (SOURCE_SECRETS; default secrets.DefaultSourceSecrets).
	Getenv        func(string) string
	SourceSecrets *secrets.SourceSecrets
	// Keyring opens tokens organizers entered in the admin (SECRET_KEY's;
	// without one, stored tokens are not used).
	Keyring *secrets.Keyring
	Logger  *slog.Logger
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
	def(&o.NodeTTL, time.Second)
	def(&o.NodeBeatEvery, 200*time.Millisecond)
	def(&o.TakeoverCheckEvery, 250*time.Millisecond)
	def(&o.LeaseTTL, 10*time.Second)
	def(&o.RenewEvery, time.Second)
	def(&o.AcquireEvery, time.Second)
	def(&o.ReloadEvery, 5*time.Second)
	def(&o.CursorDelay, 3*time.Second)
	def(&o.AppendRetryFor, 10*time.Second)
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
	o.Holder = strings.ReplaceAll(o.Holder, "#", "_")
	o.HTTPClient = guardClient(o.HTTPClient)
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}
