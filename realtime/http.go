package realtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
	"golang.org/x/sync/singleflight"

	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// Posting states of an event (events.posting).
const (
	PostingOpen      = "open"
	PostingModerated = "moderated"
	PostingClosed    = "closed"
)

// LiveEvent is what the live handlers need to know of an event.
type LiveEvent struct {
	ID         int64
	Slug       string
	Posting    string // open | moderated | closed
	Moderation string // after | before
	// EndsAt is when the event ends: attendees may post until
	// HandlerDeps.PostingGrace after it (zero: never closes by time).
	EndsAt time.Time
	QA     string // audience questions: open | moderated | closed
	// Sessions are the event's sessions (shared with the lookup's copy:
	// never modify them).
	Sessions []models.Session
}

// Session returns the event's session called slug.
func (e LiveEvent) Session(slug string) (models.Session, bool) {
	for _, s := range e.Sessions {
		if s.Slug == slug {
			return s, true
		}
	}
	return models.Session{}, false
}

// EventLookup finds an event by slug: the seam between the live API and
// the app's one cached lookup (store.Events, adapted by the wiring), so
// realtime never reads Postgres itself.
type EventLookup interface {
	// LookupLive returns the event called slug, from a short-lived copy or
	// the store; while Postgres cannot be reached, from the last good copy.
	// An unknown slug gives an error matching models.ErrNotFound.
	LookupLive(ctx context.Context, slug string) (LiveEvent, error)
	// FreshLive returns the event when a fresh copy is in memory, without
	// any I/O or allocation (the fast path's lookup); ok is false otherwise.
	FreshLive(slug []byte) (ev LiveEvent, ok bool)
}

// HandlerDeps is everything a Handler uses. Hub, Log, Events and Limiter are
// required; the rest have defaults.
type HandlerDeps struct {
	Hub     *Hub
	Log     *Log
	Events  EventLookup
	Limiter *Limiter
	// Metrics is optional; the hub already counts deliveries and latency.
	Metrics *Metrics
	Logger  *slog.Logger
	Now     func() time.Time

	// PostRate is RATE_LIMIT_POSTS per client (default 6/min).
	PostRate RateLimit
	// HistoryRate is RATE_LIMIT_HISTORY per client, for requests that read
	// Redis or Postgres (default 60/min).
	HistoryRate RateLimit
	// QuestionRate is RATE_LIMIT_QUESTIONS per client (default 5/min).
	QuestionRate RateLimit
	// VoteRate is RATE_LIMIT_VOTES per client, votes and withdrawals
	// together (default 60/min).
	VoteRate RateLimit
	// ReactionRate is per client (default a burst of 5, then one a second).
	ReactionRate RateLimit
	// Reactions batches reaction totals into the live log; nil flushes
	// after each reaction.
	Reactions *Reactions
	// IPCeiling multiplies the per-client rates into a per-address ceiling
	// (default 50): a whole venue behind one NAT must fit under it.
	IPCeiling int
	// MaxWaitsPerClient bounds a client's parked polls and streams on one
	// node (default 8; negative: unbounded).
	MaxWaitsPerClient int
	// MaxWaitsPerAddress bounds parked polls and streams per client address
	// on one node, above the per-client bound, against scripts that drop
	// the cookie (MAX_WAITS_PER_ADDRESS, default 2,000: generous, since a
	// whole venue may share one address; negative: unbounded).
	MaxWaitsPerAddress int
	// ClientAddr returns a request's client address, the key of every
	// per-address limit (clientip.Resolver.String: the peer, or the right
	// client behind trusted proxies). Default: the connection's peer.
	ClientAddr func(*fasthttp.RequestCtx) string
	// ClientAddrOf is ClientAddr for the loop server, which reads the peer
	// and the X-Forwarded-For lines itself (clientip.Resolver.Resolve).
	// Default: the peer.
	ClientAddrOf func(peer netip.Addr, forwardedFor [][]byte) string
	// PostingGrace is how long after its end an event still takes
	// attendees' posts (POSTING_GRACE, default 30 minutes; negative: none).
	PostingGrace time.Duration
	// KeepAlive is the SSE comment interval (default 15s).
	KeepAlive time.Duration
	// SecureCookie marks the client cookie Secure (outside development).
	SecureCookie bool
	// Moderate, when set, applies the event's moderation rules to an
	// attendee's post from poster before it is appended (set it.Hidden for
	// a blocked author or word, it.Held for a post to review; Held is
	// already set for moderated posting). An error matching ErrPostRefused
	// refuses the post (403): its browser or address is banned.
	Moderate func(ctx context.Context, eventID int64, it *live.Item, poster live.Poster) error
	// Appended, when set, is told of each attendee's post appended (not a
	// retry): the wiring fetches its link's card.
	Appended func(ctx context.Context, eventID int64, it live.Item)
	// Report, when set, records an attendee's report of the item at seq
	// (POST /api/events/{event}/items/{seq}/report); reporter is the
	// client id. Without it the endpoint answers 404.
	Report func(ctx context.Context, eventID, seq int64, reporter, reason string) (ReportResult, error)
	// ReportRate is reports per client (default 10/min).
	ReportRate RateLimit
	// Place, when set, places an attendee's post in the event's schedule
	// (its session and room; it.FromSession is the session page it was
	// posted from, room the room page, "" for none) before it is appended
	// (schedule.Cache.ApplyFrom).
	Place func(ctx context.Context, eventID int64, it *live.Item, room string)
}

// ErrPostRefused refuses an attendee's post (403): a moderator banned the
// browser it comes from or its address.
var ErrPostRefused = errors.New("realtime: posting refused to this browser")

// DefaultPostingGrace is how long after its end an event takes posts.
const DefaultPostingGrace = 30 * time.Minute

// Handler serves the Live API: long poll, SSE stream and attendees' posts.
type Handler struct {
	deps     HandlerDeps
	logger   *slog.Logger
	now      func() time.Time
	waits    *waiters
	ipWaits  *waiters
	draining atomic.Bool

	flight singleflight.Group
	warmed sync.Map // event id → when a request last loaded the hub's window
}

// NewHandler returns a Handler over deps, filling in defaults.
func NewHandler(deps HandlerDeps) *Handler {
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.PostRate == (RateLimit{}) {
		deps.PostRate = RateLimit{Count: 6, Period: time.Minute}
	}
	if deps.HistoryRate == (RateLimit{}) {
		deps.HistoryRate = RateLimit{Count: 60, Period: time.Minute}
	}
	if deps.QuestionRate == (RateLimit{}) {
		deps.QuestionRate = RateLimit{Count: 5, Period: time.Minute}
	}
	if deps.VoteRate == (RateLimit{}) {
		deps.VoteRate = RateLimit{Count: 60, Period: time.Minute}
	}
	if deps.ReactionRate == (RateLimit{}) {
		deps.ReactionRate = RateLimit{Count: 5, Period: 5 * time.Second}
	}
	if deps.ReportRate == (RateLimit{}) {
		deps.ReportRate = RateLimit{Count: 10, Period: time.Minute}
	}
	if deps.IPCeiling <= 0 {
		deps.IPCeiling = 50
	}
	if deps.MaxWaitsPerClient == 0 {
		deps.MaxWaitsPerClient = 8
	}
	if deps.MaxWaitsPerAddress == 0 {
		deps.MaxWaitsPerAddress = DefaultMaxWaitsPerAddress
	}
	if deps.ClientAddrOf == nil {
		deps.ClientAddrOf = func(peer netip.Addr, _ [][]byte) string { return peer.String() }
	}
	if deps.ClientAddr == nil {
		deps.ClientAddr = func(ctx *fasthttp.RequestCtx) string { return ctx.RemoteIP().String() }
	}
	if deps.PostingGrace == 0 {
		deps.PostingGrace = DefaultPostingGrace
	}
	if deps.KeepAlive <= 0 {
		deps.KeepAlive = 15 * time.Second
	}
	return &Handler{
		deps:    deps,
		logger:  deps.Logger,
		now:     deps.Now,
		waits:   newWaiters(deps.MaxWaitsPerClient),
		ipWaits: newWaiters(deps.MaxWaitsPerAddress),
	}
}

// Register mounts the Live API on r (the app's root router).
func (h *Handler) Register(r fiber.Router) {
	h.RegisterLive(r)
	h.RegisterPosts(r)
	h.RegisterAudience(r)
}

// RegisterLive registers only the long poll and the stream: the app mounts
// them ahead of its general middleware, since they are answered thousands of
// times a second and need none of it but recovery.
func (h *Handler) RegisterLive(r fiber.Router) {
	r.Get("/api/events/:event/live", h.live)
	r.Get("/api/events/:event/stream", h.stream)
}

// LiveRoutes are the long poll and the stream as a web.Routes (mounted
// ahead of the general middleware); PostRoutes the attendee posts.
func (h *Handler) LiveRoutes() web.Routes { return web.RoutesFunc(h.RegisterLive) }

// PostRoutes is the attendee posts and reports endpoints as a web.Routes.
func (h *Handler) PostRoutes() web.Routes { return web.RoutesFunc(h.RegisterPosts) }

// RegisterPosts registers the attendee posts and reports endpoints.
func (h *Handler) RegisterPosts(r fiber.Router) {
	r.Post("/api/events/:event/posts", h.post)
	r.Post("/api/events/:event/items/:seq/report", h.report)
}

// Drain makes the handler answer 503 to new live requests, ends open
// streams and wakes every waiting poll (through the hub) so it answers now.
func (h *Handler) Drain() {
	h.draining.Store(true)
	h.deps.Hub.Drain()
}

var errDraining = fiber.NewError(fiber.StatusServiceUnavailable, "This server is restarting; try again in a moment.")

// noStore marks an answer uncacheable and sets the other headers every live
// answer carries; set first so errors carry them too.
func noStore(c *fiber.Ctx) { SetLiveHeaders(&c.Response().Header) }

var (
	cacheControlHeader = []byte(fiber.HeaderCacheControl)
	noStoreValue       = []byte("no-store")
)

// validSlug reports whether s is an event slug: lowercase letters and
// digits in words joined by single hyphens (^[a-z0-9]+(-[a-z0-9]+)*$).
func validSlug(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-' && s[i-1] != '-':
		default:
			return false
		}
	}
	return true
}

// event resolves the :event parameter through the app's one lookup. A slug
// that cannot be one is missing without asking anybody.
func (h *Handler) event(c *fiber.Ctx) (LiveEvent, error) {
	slug := c.Params("event")
	if len(slug) > 100 || !validSlug(slug) {
		return LiveEvent{}, models.NotFound("event", slug)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev, err := h.deps.Events.LookupLive(ctx, slug)
	if err != nil {
		return LiveEvent{}, fmt.Errorf("realtime: look up event %q: %w", slug, err)
	}
	return ev, nil
}

// expensive reports whether a poll at since must read Redis or Postgres.
// When the hub does not hold the event's window (the node just started, or
// the window was dropped while nobody polled) it loads it first, at most
// once per warmEvery: one read shared by everyone, so that a restart does not
// make every client's poll look like a history read and trip the limits of
// a packed room.
func (h *Handler) expensive(eventID, since int64) bool {
	if h.deps.Hub.InMemory(eventID, since) {
		return false
	}
	if last, ok := h.warmed.Load(eventID); ok && h.now().Sub(last.(time.Time)) < warmEvery {
		return true
	}
	_, _, _ = h.flight.Do("warm:"+strconv.FormatInt(eventID, 10), func() (any, error) {
		h.warmed.Store(eventID, h.now())
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := h.deps.Hub.Snapshot(ctx, eventID, 0); err != nil {
			h.logger.Warn("realtime: load the hub's window", "event", eventID, "err", err)
			return nil, err
		}
		return nil, nil
	})
	return !h.deps.Hub.InMemory(eventID, since)
}

// warmEvery bounds how often a request may make the hub load a window.
const warmEvery = 30 * time.Second

// limit applies a per-client rate and the per-address ceiling above it. When
// either is spent it sets Retry-After and returns a 429. A Redis failure lets
// the request through (logged): limits protect the service, they must not
// take it down.
func (h *Handler) limit(c *fiber.Ctx, kind, client string, r RateLimit) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ceiling := RateLimit{Count: r.Count * h.deps.IPCeiling, Period: r.Period}
	ok, retry, err := h.deps.Limiter.AllowClient(ctx, kind, client, h.deps.ClientAddr(c.Context()), r, ceiling)
	if err != nil {
		h.logger.Warn("realtime: rate limit unavailable, letting the request through", "kind", kind, "err", err)
		return nil
	}
	if !ok {
		return tooMany(c, retry, "Too many requests from this browser; try again in a moment.")
	}
	return nil
}

// park takes a waiting slot for the client and its address (limit.go's
// admission, shared with the fast paths), or answers 429. The returned
// func gives them back.
func (h *Handler) park(c *fiber.Ctx, client string) (func(), error) {
	ip := h.deps.ClientAddr(c.Context())
	t, admission := h.admitWait(client, ip, waitTicket{})
	switch admission {
	case waitClientFull:
		return nil, tooMany(c, 5*time.Second, "This browser has too many requests waiting already.")
	case waitAddressFull:
		return nil, tooMany(c, 5*time.Second, "Too many requests are waiting from this address.")
	}
	return func() { h.releaseWait(t) }, nil
}

// tooMany sets Retry-After (whole seconds, at least 1) and returns a 429.
func tooMany(c *fiber.Ctx, retry time.Duration, msg string) error {
	secs := int64((retry + time.Second - 1) / time.Second)
	c.Set(fiber.HeaderRetryAfter, strconv.FormatInt(max(secs, 1), 10))
	return fiber.NewError(fiber.StatusTooManyRequests, msg)
}
