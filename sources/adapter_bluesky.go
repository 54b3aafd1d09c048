package sources

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
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
}

func newBluesky(r *runner) (*bluesky, error) {
	u, err := url.Parse(r.cfg.Endpoint)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		return nil, errors.New("sources: bluesky: endpoint must be a ws(s) URL")
	}
	if len(r.cfg.Keywords) == 0 {
		return nil, errors.New("sources: bluesky: keywords are required")
	}
	return &bluesky{r: r, endpoint: r.cfg.Endpoint, keywords: r.cfg.Keywords}, nil
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
			err = r.add(hb.ctx, ev.Item)
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
