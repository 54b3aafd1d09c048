package sources

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Mastodon backfill and polling.
const (
	mastodonPageSize    = 40 // the timeline's maximum limit (docs, methods/timelines)
	mastodonStreamRetry = 10 // polls between attempts to get a missing stream back
)

// mastodon follows a hashtag: the streaming API (SSE) while it works, the
// tag timeline over REST to backfill after every (re)connect, and REST
// polling alone when the stream is missing (404) or refused (401/403: since
// Mastodon 4.2 the stream needs a user token). The cursor is the newest
// local status id seen.
//
// A quiet stream is never a reason to poll: the watchdog (Heartbeats)
// counts ":thump" comments, so an hour without a post keeps the stream, and
// the next post arrives as fast as the first.
//
// Status ids carry their creation time in milliseconds << 16
// (lib/mastodon/snowflake.rb), and a remote status that federates late gets
// an id from its own creation time: below ids already seen. So every
// backfill re-reads, below the cursor, the statuses created within the late
// window before it; the runner's recent ids and the log's dedupe drop what
// was already appended.
type mastodon struct {
	r        *runner
	instance string
	tag      string
	every    time.Duration
	late     time.Duration
	polling  bool
	refused  bool // the stream answered 401/403: do not ask again
	polls    int
	recent   *recentIDs
	failed   bool // the last run ended with an error
	// kick tells the stream's watchdog that the runner makes progress: a
	// long backfill reads no stream line, yet the stream is not dead.
	kick func()
}

func newMastodon(r *runner) (*mastodon, error) {
	if SafeURL(r.cfg.Instance) == "" || r.cfg.Tag == "" {
		return nil, errors.New("sources: mastodon: instance and tag are required")
	}
	late := r.m.opts.MastodonLateWindow
	if d, err := time.ParseDuration(r.cfg.LateWindow); err == nil && d >= 0 {
		late = d
	}
	return &mastodon{r: r, instance: strings.TrimRight(r.cfg.Instance, "/"), tag: strings.TrimPrefix(r.cfg.Tag, "#"),
		every: r.cfg.EveryOr(r.m.opts.MastodonPollEvery), late: late, recent: newRecentIDs(20000)}, nil
}

func (a *mastodon) interval() time.Duration {
	if a.polling {
		return a.every
	}
	return 0
}

// alias is the key a delete (which names the local id) finds the item by.
func (a *mastodon) alias(localID string) string {
	return "mastodon:" + strconv.FormatInt(a.r.src.ID, 10) + ":" + localID
}

func (a *mastodon) header() http.Header {
	h := http.Header{}
	if tok := a.r.secret(); tok != "" {
		h.Set("Authorization", "Bearer "+tok)
	}
	return h
}

func (a *mastodon) run(ctx context.Context, r *runner) (err error) {
	// What this runner appended just before an error may be what Redis lost
	// (AOF everysec): after an error nothing counts as appended until the
	// log says so again.
	if a.failed {
		a.recent = newRecentIDs(len(a.recent.ring))
	}
	defer func() { a.failed = err != nil }()
	if a.polling {
		a.polls++
		if a.refused || a.polls%mastodonStreamRetry != 0 {
			err := a.backfill(ctx, nil)
			a.restNotice(err)
			return err
		}
		a.polling = false
	}
	err = a.stream(ctx, r)
	var he *HTTPError
	switch {
	case errors.As(err, &he) && (he.Status == http.StatusUnauthorized || he.Status == http.StatusForbidden):
		// Mastodon 4.2+ serves streams only with a user token
		// (streaming/index.js, accountFromRequest: 'Missing access token' /
		// 'Invalid access token', 401). The tag timeline is public on most
		// instances, so read it instead, and say why on the dashboard.
		a.polling, a.refused = true, true
		why := fmt.Sprintf("token missing: %s serves the hashtag stream only with a user token (Mastodon 4.2+); set token_env. Reading the tag timeline every %s instead", a.instance, a.every)
		if r.secret() != "" {
			why = fmt.Sprintf("token refused: %s answered %d to the token for the hashtag stream; reading the tag timeline every %s instead", a.instance, he.Status, a.every)
		}
		r.setNotice(why)
		r.log.Warn("mastodon stream refused, polling the REST API", "status", he.Status)
		err = a.backfill(ctx, nil)
		a.restNotice(err)
		return err
	case errors.As(err, &he) && (he.Status == http.StatusNotFound || he.Status == http.StatusGone || he.Status == http.StatusNotImplemented):
		r.log.Info("mastodon stream unavailable, polling the REST API", "status", he.Status)
		r.setNotice(fmt.Sprintf("stream unavailable (%d): reading the tag timeline every %s", he.Status, a.every))
		a.polling = true
		return a.backfill(ctx, nil)
	}
	return err
}

// restNotice makes a timeline that refuses the token too a lasting state:
// nothing can be read until the token is fixed, and the dashboard says so
// (the runner keeps retrying with a growing backoff, never silently).
func (a *mastodon) restNotice(err error) {
	var he *HTTPError
	if errors.As(err, &he) && (he.Status == http.StatusUnauthorized || he.Status == http.StatusForbidden) {
		state := "token missing"
		if a.r.secret() != "" {
			state = "token refused"
		}
		a.r.setNotice(fmt.Sprintf("%s: %s answered %d to both the stream and the tag timeline; nothing can be read until a valid user token is set", state, a.instance, he.Status))
	}
}

// stream opens the hashtag stream, backfills from the cursor while the
// stream's first events wait in the socket, then reads the stream.
func (a *mastodon) stream(ctx context.Context, r *runner) error {
	hb := newHeartbeat(ctx, r.m.opts.Heartbeats.Mastodon)
	defer hb.stop()
	u := a.instance + "/api/v1/streaming/hashtag?tag=" + url.QueryEscape(a.tag)
	req, err := http.NewRequestWithContext(hb.ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("sources: mastodon: %w", err)
	}
	req.Header = a.header()
	req.Header.Set("Accept", "text/event-stream")
	resp, err := r.m.opts.HTTPClient.Do(req)
	if err != nil {
		return hb.err(fmt.Errorf("sources: mastodon stream: %w", err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return httpError(resp)
	}
	r.connected()
	r.setNotice("")
	if err := a.backfill(hb.ctx, hb.kick); err != nil {
		return hb.err(err)
	}
	first := true
	sr := newSSEReader(resp.Body, func() {
		hb.kick()
		if first {
			first = false
			r.alive()
		}
	})
	for {
		ev, err := sr.next()
		switch {
		case err == nil:
		case errors.Is(err, ErrLineTooLong):
			r.bad(err)
			continue
		case errors.Is(err, io.EOF):
			return hb.err(errStreamEnded)
		case errors.Is(err, io.ErrUnexpectedEOF):
			r.bad(errors.New("sources: mastodon: stream cut inside an event"))
			return hb.err(errStreamEnded)
		default:
			return hb.err(err)
		}
		if err := a.handle(hb.ctx, ev); err != nil {
			return hb.err(err)
		}
	}
}

// handle acts on one streamed event; only log errors end the stream.
func (a *mastodon) handle(ctx context.Context, ev SSEEvent) error {
	r := a.r
	e, err := ParseMastodonEvent(ev.Event, ev.Data, time.Now())
	if err != nil {
		r.bad(err)
		return nil
	}
	switch e.Kind {
	case MastodonUpdate:
		if err := a.add(e.Item.ID, func() (bool, error) { return r.appendNew(ctx, e.Item, a.alias(e.StatusID)) }); err != nil {
			return err
		}
		a.advance(e.StatusID)
	case MastodonStatusUpdate:
		if err := r.update(ctx, e.Item, a.alias(e.StatusID)); err != nil {
			return err
		}
		a.recent.add(e.Item.ID)
	case MastodonDelete:
		return r.hide(ctx, a.alias(e.StatusID))
	}
	return nil
}

// add appends unless the item is among the recent ids; it reports through
// the recent ids what it appended.
func (a *mastodon) add(itemID string, appendIt func() (bool, error)) error {
	if a.recent.has(itemID) {
		return nil
	}
	if _, err := appendIt(); err != nil {
		return err
	}
	a.recent.add(itemID)
	if a.kick != nil {
		a.kick()
	}
	return nil
}

// advance moves the cursor to id when it is newer.
func (a *mastodon) advance(id string) {
	if statusNewer(id, a.r.savedCursor()) {
		a.r.checkpoint(id)
	}
}

// statusNewer compares Mastodon ids (decimal strings of any length).
func statusNewer(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

// snowflakeAt is the smallest status id created at t (ms << 16), and
// snowflakeTime the creation time an id carries (lib/mastodon/snowflake.rb).
func snowflakeAt(t time.Time) int64 { return t.UnixMilli() << 16 }

func snowflakeTime(id string) (time.Time, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(n >> 16), true
}

// page fetches one timeline page. A page that is not a JSON array (an HTML
// 200 from a CDN) is an error, like a 5xx: the caller retries, it never
// counts as caught up. Statuses that do not parse are counted as bad
// payloads and skipped; the rest of the page, and paging, go on.
func (a *mastodon) page(ctx context.Context, q url.Values, kick func()) (MastodonPage, error) {
	r := a.r
	q.Set("limit", strconv.Itoa(mastodonPageSize))
	u := a.instance + "/api/v1/timelines/tag/" + url.PathEscape(a.tag) + "?" + q.Encode()
	_, body, err := get(ctx, r.m.opts.HTTPClient, u, a.header())
	if err != nil {
		return MastodonPage{}, err
	}
	if kick != nil {
		kick()
	}
	p, err := ParseMastodonPage(body, time.Now())
	if err != nil {
		r.bad(err)
		return MastodonPage{}, err
	}
	for _, e := range p.Bad {
		r.bad(e)
	}
	if a.polling {
		r.connected()
	}
	return p, nil
}

// backfill catches up from the cursor: forward from it (min_id paging,
// oldest first, no page limit: the stream is read only after the backfill
// returns, and stream ids move the cursor, so stopping early would leave a
// hole), then back below it through the late window. Without a cursor the
// source is new: it pages back to the event's start (history).
func (a *mastodon) backfill(ctx context.Context, kick func()) error {
	r := a.r
	a.kick = kick
	defer func() { a.kick = nil }()
	cur := r.savedCursor()
	if cur == "" {
		return a.history(ctx, kick)
	}
	for since := cur; ; {
		p, err := a.page(ctx, url.Values{"min_id": {since}}, kick)
		if err != nil {
			return err
		}
		// Pages come newest first.
		for i := len(p.Items) - 1; i >= 0; i-- {
			it, id := p.Items[i], p.IDs[i]
			if err := a.add(it.ID, func() (bool, error) { return r.appendNew(ctx, it, a.alias(id)) }); err != nil {
				return err
			}
			a.advance(id)
		}
		if p.Len < mastodonPageSize || len(p.IDs) == 0 {
			break
		}
		since = p.IDs[0]
	}
	return a.sweepLate(ctx, cur, kick)
}

// sweepLate re-reads, newest first, the statuses below cur created within
// the late window before cur's time, at most MastodonLatePages pages, and
// appends those not appended yet: statuses that federated late while the
// stream was down.
func (a *mastodon) sweepLate(ctx context.Context, cur string, kick func()) error {
	r := a.r
	at, ok := snowflakeTime(cur)
	if !ok || a.late <= 0 {
		return nil
	}
	floor := snowflakeAt(at.Add(-a.late))
	maxID := cur
	for n := 0; n < r.m.opts.MastodonLatePages; n++ {
		p, err := a.page(ctx, url.Values{"max_id": {maxID}}, kick)
		if err != nil {
			return err
		}
		for i, it := range p.Items {
			id := p.IDs[i]
			if v, _ := strconv.ParseInt(id, 10, 64); v <= floor {
				return nil
			}
			if err := a.add(it.ID, func() (bool, error) { return r.appendNew(ctx, it, a.alias(id)) }); err != nil {
				return err
			}
		}
		if p.Len < mastodonPageSize || len(p.IDs) == 0 {
			return nil
		}
		maxID = p.IDs[len(p.IDs)-1]
	}
	r.log.Info("mastodon: late window re-read stopped at its page limit", "pages", r.m.opts.MastodonLatePages)
	return nil
}

// history is the first backfill of a source: the tag timeline paged back
// (max_id) from the newest status to the event's starts_at, then appended
// oldest first, so the stream shows them in the order they were written.
// Its count is on the dashboard (State.Backfilled). Until it completes,
// the cursor stays unset, so a crash or an error starts it over (the log's
// dedupe drops what was already appended).
func (a *mastodon) history(ctx context.Context, kick func()) error {
	r := a.r
	start, err := r.eventStart(ctx)
	if err != nil {
		return err
	}
	floor := snowflakeAt(start)
	type entry struct {
		i  int
		id string
		p  *MastodonPage
	}
	var keep []entry
	q := url.Values{}
	pages := 0
	complete := false
	for pages < r.m.opts.HistoryPages {
		p, err := a.page(ctx, q, kick)
		if err != nil {
			return err
		}
		pages++
		older := false
		for i, id := range p.IDs {
			if v, _ := strconv.ParseInt(id, 10, 64); v < floor {
				older = true
				break
			}
			keep = append(keep, entry{i, id, &p})
		}
		if older || p.Len < mastodonPageSize || len(p.IDs) == 0 {
			complete = true
			break
		}
		q = url.Values{"max_id": {p.IDs[len(p.IDs)-1]}}
	}
	if !complete {
		r.log.Warn("mastodon: history backfill stopped at its page limit", "pages", pages)
		r.setNotice(fmt.Sprintf("backfilled the newest %d pages only; older posts since the event's start were not read", pages))
	}
	newest := ""
	var added int64
	for _, e := range slices.Backward(keep) {
		it := e.p.Items[e.i]
		if a.recent.has(it.ID) {
			continue
		}
		fresh, err := r.appendNew(ctx, it, a.alias(e.id))
		if err != nil {
			r.backfilled(added, false)
			return err
		}
		a.recent.add(it.ID)
		if kick != nil {
			kick()
		}
		if fresh {
			added++
		}
		newest = e.id
	}
	r.backfilled(added, true)
	if newest == "" {
		// No status yet since the event's start: later ones are all newer
		// than the start, so the start itself is the cursor.
		newest = strconv.FormatInt(max(floor-1, 0), 10)
	}
	a.advance(newest)
	return nil
}
