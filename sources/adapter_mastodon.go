package sources

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Mastodon backfill and polling.
const (
	mastodonPageSize     = 40
	mastodonStreamRetry  = 10 // polls between attempts to get the stream back
	mastodonSilentToPoll = 2  // silent streams in a row before falling back to polling
)

// mastodon follows a hashtag: the streaming API (SSE) while it works, the
// tag timeline over REST to backfill after every (re)connect, and REST
// polling alone when the stream is missing (404), disabled or keeps falling
// silent. The cursor is the newest local status id seen.
type mastodon struct {
	r        *runner
	instance string
	tag      string
	every    time.Duration
	polling  bool
	polls    int
	silent   int
}

func newMastodon(r *runner) (*mastodon, error) {
	if SafeURL(r.cfg.Instance) == "" || r.cfg.Tag == "" {
		return nil, errors.New("sources: mastodon: instance and tag are required")
	}
	return &mastodon{r: r, instance: strings.TrimRight(r.cfg.Instance, "/"), tag: strings.TrimPrefix(r.cfg.Tag, "#"),
		every: r.cfg.EveryOr(r.m.opts.MastodonPollEvery)}, nil
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

func (a *mastodon) run(ctx context.Context, r *runner) error {
	if a.polling {
		a.polls++
		if a.polls%mastodonStreamRetry != 0 {
			return a.backfill(ctx, nil)
		}
		a.polling = false
	}
	err := a.stream(ctx, r)
	var he *HTTPError
	switch {
	case errors.As(err, &he) && (he.Status == http.StatusNotFound || he.Status == http.StatusGone || he.Status == http.StatusNotImplemented || he.Status == http.StatusForbidden):
		r.log.Info("mastodon stream unavailable, polling the REST API", "status", he.Status)
		a.polling = true
		return a.backfill(ctx, nil)
	case errors.Is(err, errStreamSilent):
		a.silent++
		if a.silent >= mastodonSilentToPoll {
			r.log.Info("mastodon stream keeps falling silent, polling the REST API")
			a.polling, a.silent = true, 0
		}
	}
	return err
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
		a.silent = 0
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
		if err := r.add(ctx, e.Item, a.alias(e.StatusID)); err != nil {
			return err
		}
		a.advance(e.StatusID)
	case MastodonStatusUpdate:
		if err := r.update(ctx, e.Item, a.alias(e.StatusID)); err != nil {
			return err
		}
	case MastodonDelete:
		return r.hide(ctx, a.alias(e.StatusID))
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

// backfill pages the tag timeline forward from the cursor (min_id) until it
// has caught up (a page shorter than asked), appending oldest first. Without
// a cursor it takes the newest page only.
//
// There is deliberately no page limit: the stream is read only after the
// backfill returns, and stream ids move the cursor, so stopping early would
// leave a hole no later backfill revisits. A long backlog after a takeover
// is paged through in full; an error ends the connection and the next one
// backfills again from the cursor, so nothing is skipped either way.
func (a *mastodon) backfill(ctx context.Context, kick func()) error {
	r := a.r
	for {
		since := r.savedCursor()
		q := url.Values{"limit": {strconv.Itoa(mastodonPageSize)}}
		if since != "" {
			q.Set("min_id", since)
		}
		u := a.instance + "/api/v1/timelines/tag/" + url.PathEscape(a.tag) + "?" + q.Encode()
		_, body, err := get(ctx, r.m.opts.HTTPClient, u, a.header())
		if err != nil {
			return err
		}
		if kick != nil {
			kick()
		}
		if a.polling {
			r.connected()
		}
		items, ids, err := ParseMastodonTimeline(body, time.Now())
		if err != nil {
			r.bad(err)
			return nil
		}
		if len(items) == 0 {
			return nil
		}
		// Pages come newest first.
		for i := len(items) - 1; i >= 0; i-- {
			if err := r.add(ctx, items[i], a.alias(ids[i])); err != nil {
				return err
			}
			a.advance(ids[i])
		}
		if since == "" || len(items) < mastodonPageSize {
			return nil
		}
	}
}
