package sources

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// blueskyRewind is how far before its cursor a reconnect resumes (Jetstream
// guidance: time_us is not strictly ordered across its shards).
const blueskyRewind = 5 * time.Second

// bluesky follows Jetstream over a WebSocket, filtering posts by keywords.
// The cursor is the time_us of the last message handled.
type bluesky struct {
	r        *runner
	endpoint string
	keywords []string
	profiles *profileResolver
	pending  atomic.Int64 // author updates waiting for a profile
}

func newBluesky(r *runner) (*bluesky, error) {
	u, err := url.Parse(r.cfg.Endpoint)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return nil, errors.New("sources: bluesky: endpoint must be a ws(s) URL")
	}
	if len(r.cfg.Keywords) == 0 {
		return nil, errors.New("sources: bluesky: keywords are required")
	}
	base := r.cfg.ProfileBase
	if base == "" {
		base = DefaultProfileBase
	}
	if SafeURL(base) == "" {
		return nil, errors.New("sources: bluesky: profile_base must be an http(s) URL")
	}
	return &bluesky{r: r, endpoint: r.cfg.Endpoint, keywords: r.cfg.Keywords, profiles: r.m.profiles(base)}, nil
}

func (a *bluesky) interval() time.Duration { return 0 }

func (a *bluesky) url() string {
	u, _ := url.Parse(a.endpoint)
	q := u.Query()
	q.Set("wantedCollections", bskyPostCollection)
	if c, err := strconv.ParseInt(a.r.savedCursor(), 10, 64); err == nil && c > 0 {
		q.Set("cursor", strconv.FormatInt(c-blueskyRewind.Microseconds(), 10))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

func (a *bluesky) run(ctx context.Context, r *runner) error {
	// Author updates may outlive the connection briefly (see finish).
	uctx, stopUpdates := context.WithCancel(ctx)
	var updates sync.WaitGroup
	defer finish(&updates, stopUpdates)
	hb := newHeartbeat(ctx, r.m.opts.Heartbeats.Bluesky)
	defer hb.stop()
	dialCtx, cancel := context.WithTimeout(hb.ctx, pollTimeout)
	defer cancel()
	conn, resp, err := websocket.Dial(dialCtx, a.url(), &websocket.DialOptions{HTTPClient: r.m.opts.HTTPClient})
	if err != nil {
		if resp != nil && resp.StatusCode != 101 {
			return httpError(resp)
		}
		return hb.err(fmt.Errorf("sources: jetstream dial: %w", err))
	}
	defer conn.CloseNow()
	// Messages are read through a limit of our own, so an oversized one is
	// skipped instead of closing the connection.
	conn.SetReadLimit(-1)
	r.connected()
	buf := make([]byte, 0, 64<<10)
	chunk := make([]byte, 32<<10)
	for first := true; ; first = false {
		typ, rd, err := conn.Reader(hb.ctx)
		if err != nil {
			if websocket.CloseStatus(err) == websocket.StatusNormalClosure {
				return hb.err(errStreamEnded)
			}
			return hb.err(fmt.Errorf("sources: jetstream read: %w", err))
		}
		hb.kick()
		if first {
			r.alive()
		}
		buf = buf[:0]
		n, err := readUpTo(rd, &buf, chunk, MaxLine)
		if err != nil {
			return hb.err(fmt.Errorf("sources: jetstream read: %w", err))
		}
		if n > MaxLine {
			r.bad(ErrLineTooLong)
			continue
		}
		if typ != websocket.MessageText {
			r.bad(errors.New("sources: jetstream: binary message"))
			continue
		}
		ev, err := ParseJetstream(buf, a.keywords, time.Now())
		if err != nil {
			r.bad(err)
			continue
		}
		switch ev.Op {
		case JetstreamCreate:
			err = a.addWithAuthor(hb.ctx, uctx, &updates, ev)
		case JetstreamDelete:
			err = r.hide(hb.ctx, ev.ID)
		}
		if err != nil {
			return hb.err(err)
		}
		if ev.TimeUS > 0 {
			r.checkpoint(strconv.FormatInt(ev.TimeUS, 10))
		}
	}
}

// addWithAuthor appends a post with its author's profile when it is cached or
// arrives within the wait; otherwise with the DID, followed by an update
// once the profile is known (profiles.go).
func (a *bluesky) addWithAuthor(ctx, uctx context.Context, updates *sync.WaitGroup, ev JetstreamEvent) error {
	it := ev.Item
	if p, ok := a.profiles.cached(ev.DID); ok {
		it.Author = p.author(ev.DID)
		return a.r.add(ctx, it)
	}
	b := a.profiles.request(ev.DID)
	if w := a.profiles.waitFor(); w > 0 {
		t := time.NewTimer(w)
		select {
		case <-b.done:
			t.Stop()
			if p, ok := b.get(ev.DID); ok {
				it.Author = p.author(ev.DID)
				return a.r.add(ctx, it)
			}
			// The lookup failed: append with the DID now and update the
			// author once a retry succeeds (below).
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	if err := a.r.add(ctx, it); err != nil {
		return err
	}
	// An item hidden at ingest stays hidden; nothing to update.
	probe := it
	a.r.applyRules(&probe)
	if probe.Hidden || a.pending.Load() >= maxPendingUpdates {
		return nil
	}
	a.pending.Add(1)
	updates.Add(1)
	go func() {
		defer updates.Done()
		defer a.pending.Add(-1)
		// A failed lookup (the AppView down or slow) is retried once the
		// resolver asks the AppView again, so a lost lookup does not leave
		// the DID as author for good.
		var p bskyProfile
		for attempt := 0; ; attempt++ {
			select {
			case <-b.done:
			case <-uctx.Done():
				return
			}
			var ok bool
			if p, ok = b.get(ev.DID); ok {
				break
			}
			if attempt+1 >= profileRetries {
				return
			}
			t := time.NewTimer(max(time.Until(a.profiles.upAt()), 10*time.Millisecond))
			select {
			case <-t.C:
			case <-uctx.Done():
				t.Stop()
				return
			}
			b = a.profiles.request(ev.DID)
		}
		if p.Missing {
			return
		}
		it.Author = p.author(ev.DID)
		if err := a.r.update(uctx, it); err != nil && uctx.Err() == nil {
			a.r.log.Warn("sources: bluesky author update", "item", it.ID, "err", err)
		}
	}()
	return nil
}

// finish gives pending author updates a second to land after the stream
// ended, then cancels the rest (their posts keep the DID as author).
func finish(updates *sync.WaitGroup, stop context.CancelFunc) {
	done := make(chan struct{})
	go func() { updates.Wait(); close(done) }()
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		stop()
		<-done
	}
	stop()
}

// readUpTo reads rd into buf up to max bytes and drains the rest; it returns
// the total length of the message.
func readUpTo(rd io.Reader, buf *[]byte, chunk []byte, max int) (int, error) {
	total := 0
	for {
		n, err := rd.Read(chunk)
		if total+n <= max {
			*buf = append(*buf, chunk[:n]...)
		}
		total += n
		if errors.Is(err, io.EOF) {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}
