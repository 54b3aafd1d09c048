package archive

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	"github.com/microcosm-cc/bluemonday"
	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/archive/stamp"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/views"
	av "github.com/backchannel/backchannel/views/archive"
)

// Options configures a Handler; zero values take the defaults.
type Options struct {
	// BaseURL is the site's public URL (BASE_URL), for feeds and canonical links.
	BaseURL string
	// Redis and Namespace give access to the events' stamps (archive/stamp).
	// Without Redis nothing is cached.
	Redis     rueidis.Client
	Namespace string
	// CacheBytes bounds the in-memory cache (default 64 MiB).
	CacheBytes int64
	// PageSize is the number of items per session page (default 100).
	PageSize int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Limit, when set, is asked before each expensive read, kind being
	// "search", "export" or "deep" (an archive page past the first): it
	// returns an error answering 429, Retry-After set, when the client has
	// read too much (the wiring limits per client in Redis).
	Limit func(c *fiber.Ctx, kind string) error
}

// Handler serves the archive pages, feeds, exports and JSON API.
type Handler struct {
	store  *store.Store
	events *store.Events
	policy *bluemonday.Policy
	opts   Options
	cache  *cache
}

// NewHandler returns a Handler reading st, resolving event slugs with the
// app's one cached lookup.
func NewHandler(st *store.Store, events *store.Events, opts Options) *Handler {
	if opts.CacheBytes <= 0 {
		opts.CacheBytes = 64 << 20
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 100
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.BaseURL = strings.TrimRight(opts.BaseURL, "/")
	h := &Handler{store: st, events: events, policy: newPolicy(), opts: opts}
	if opts.Redis != nil {
		h.cache = newCache(opts.CacheBytes)
	}
	return h
}

// Register mounts the archive's routes on r (the app's root router).
func (h *Handler) Register(r fiber.Router) {
	r.Get(av.CSSPath, av.ServeCSS)
	r.Get("/events/:event/archive", h.eventArchive)
	r.Get("/events/:event/sessions/:session", h.sessionPage)
	r.Get("/events/:event/sessions/:session/feed.atom", h.sessionFeed)
	r.Get("/events/:event/items/:seq", h.itemPage)
	r.Get("/events/:event/search", h.search)
	r.Get("/events/:event/feed.atom", h.eventFeed)
	r.Get("/events/:event/export.json", h.exportJSON)
	r.Get("/events/:event/export.csv", h.exportCSV)
	r.Get("/api/events/:event/items", h.apiItems)
}

// BumpVersion marks that an event's archived items, ops, sessions or details
// changed, so every cached archive page of it is dropped at once. The admin
// calls it after hiding, unhiding, approving or editing; the strainer after
// each batch.
func BumpVersion(ctx context.Context, client rueidis.Client, namespace string, eventID int64) error {
	_, err := stamp.Bump(ctx, client, namespace, eventID)
	return err
}

// eventCtx is what every route resolves first: the event with its sessions
// and the event's stamp (version) for cache keys.
type eventCtx struct {
	*eventInfo
	id      int64
	version int64
	// cacheable is false when the stamp could not be read.
	cacheable bool
}

// revision names one copy of an event and its sessions, so a page is never
// cached under a new stamp with an event copy older than the stamp.
func revision(ev *models.Event) string {
	last := ev.UpdatedAt
	for i := range ev.Sessions {
		if u := ev.Sessions[i].UpdatedAt; u.After(last) {
			last = u
		}
	}
	return strconv.FormatInt(last.UnixNano(), 36) + "." + strconv.Itoa(len(ev.Sessions))
}

type eventInfo struct {
	ev       *models.Event
	rev      string
	loc      *time.Location
	bySlug   map[string]*models.Session
	slugByID map[int64]string
	// roomOf is the room slug of each session id; rooms are by slug.
	roomOf map[int64]string
	rooms  map[string]*models.Room
}

func (e *eventCtx) key(parts ...string) string {
	if !e.cacheable {
		return ""
	}
	return strconv.FormatInt(e.id, 10) + ":" + strconv.FormatInt(e.version, 10) + ":" + e.rev + ":" + strings.Join(parts, ":")
}

// sessionSlug returns the slug of a session id ("" for none).
func (e *eventInfo) sessionSlug(id int64) string { return e.slugByID[id] }

func (h *Handler) resolve(c *fiber.Ctx) (*eventCtx, error) {
	ctx := c.UserContext()
	ev, err := h.events.BySlug(ctx, c.Params("event"))
	if err != nil {
		return nil, err
	}
	ec := &eventCtx{id: ev.ID}
	if h.opts.Redis != nil {
		v, err := stamp.Get(ctx, h.opts.Redis, h.opts.Namespace, ev.ID)
		if err != nil {
			h.opts.Logger.Warn("archive: read stamp; serving uncached", "event", ev.ID, "err", err)
		} else {
			ec.version, ec.cacheable = v, true
		}
	}
	rev := revision(ev)
	key := ""
	if ec.cacheable {
		key = strconv.FormatInt(ev.ID, 10) + ":info:" + rev
	}
	ec.eventInfo, err = cached(h.cache, key, func() (*eventInfo, int64, error) {
		info := &eventInfo{ev: ev, rev: rev, loc: ev.Location(), bySlug: map[string]*models.Session{}, slugByID: map[int64]string{},
			roomOf: map[int64]string{}, rooms: map[string]*models.Room{}}
		for i := range ev.Rooms {
			info.rooms[ev.Rooms[i].Slug] = &ev.Rooms[i]
		}
		for i := range ev.Sessions {
			s := &ev.Sessions[i]
			info.bySlug[s.Slug] = s
			info.slugByID[s.ID] = s.Slug
			info.roomOf[s.ID] = s.RoomSlug()
		}
		return info, int64(1024 + 512*len(ev.Sessions)), nil
	})
	if err != nil {
		return nil, err
	}
	return ec, nil
}

func (h *Handler) session(ec *eventCtx, slug string) (*models.Session, error) {
	s, ok := ec.bySlug[slug]
	if !ok {
		return nil, models.NotFound("session", slug)
	}
	return s, nil
}

// links are the archive URLs of an event.
func links(slug string) av.Links {
	base := views.EventPath(slug)
	return av.Links{Archive: base + "/archive", Search: base + "/search", Feed: base + "/feed.atom",
		ExportJSON: base + "/export.json", ExportCSV: base + "/export.csv"}
}

func (h *Handler) absolute(path string) string {
	if h.opts.BaseURL == "" {
		return ""
	}
	return h.opts.BaseURL + path
}

// render sends a page from the cache, rendering it on a miss. The key's
// minute keeps relative times ("5 min ago") at most a minute old.
func (h *Handler) render(c *fiber.Ctx, key string, comp func() (templ.Component, error)) error {
	if key != "" {
		key = "page:" + key + ":" + strconv.FormatInt(h.opts.Now().Unix()/60, 10)
	}
	body, err := cached(h.cache, key, func() ([]byte, int64, error) {
		cp, err := comp()
		if err != nil {
			return nil, 0, err
		}
		var buf bytes.Buffer
		if err := cp.Render(c.UserContext(), &buf); err != nil {
			return nil, 0, fmt.Errorf("archive: render: %w", err)
		}
		return buf.Bytes(), int64(buf.Len()), nil
	})
	if err != nil {
		return err
	}
	c.Type("html", "utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	if key != "" {
		// Same key, same bytes: a browser revalidating gets a 304.
		h := fnv.New64a()
		_, _ = h.Write([]byte(key))
		etag := `W/"` + strconv.FormatUint(h.Sum64(), 36) + `"`
		c.Set(fiber.HeaderETag, etag)
		if c.Get(fiber.HeaderIfNoneMatch) == etag {
			return c.SendStatus(fiber.StatusNotModified)
		}
	}
	return c.Send(body)
}

// afterParam parses ?after= (0 when absent).
func afterParam(c *fiber.Ctx) (int64, error) {
	v := c.Query("after")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fiber.NewError(fiber.StatusBadRequest, "The after parameter must be a non-negative item number.")
	}
	return n, nil
}

func withAfter(path string, after int64, extra url.Values) string {
	q := url.Values{}
	for k, v := range extra {
		q[k] = v
	}
	if after > 0 {
		q.Set("after", strconv.FormatInt(after, 10))
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// limit asks Options.Limit about an expensive read of kind.
func (h *Handler) limit(c *fiber.Ctx, kind string) error {
	if h.opts.Limit == nil {
		return nil
	}
	return h.opts.Limit(c, kind)
}
