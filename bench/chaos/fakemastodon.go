package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// statusBase is added to an item's index to make its Mastodon status id:
// every id has the same number of digits, so ids order as strings too.
const statusBase = 113600000000000000

// fakeMastodon speaks the two endpoints the mastodon adapter calls: the
// hashtag stream (SSE, only statuses published after the client connected,
// like a real instance) and the tag timeline (REST, min_id paging, served
// newest first). It publishes statuses 1..items at a steady rate once the
// first stream client has connected.
type fakeMastodon struct {
	tag   string
	items int
	rate  float64

	mu        sync.Mutex
	published int           // statuses 1..published are out
	notify    chan struct{} // closed and replaced at every publish
	emittedAt []atomic.Int64

	connected   chan struct{} // closed at the first stream connection
	connectOnce sync.Once
	conns       atomic.Int64
	timeline    atomic.Int64

	started, finished atomic.Int64 // unix nanos of the first and last publish

	srv *http.Server
	ln  net.Listener
}

func newFakeMastodon(tag string, items int, rate float64) (*fakeMastodon, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fake mastodon: listen: %w", err)
	}
	f := &fakeMastodon{tag: tag, items: items, rate: rate, notify: make(chan struct{}),
		emittedAt: make([]atomic.Int64, items+1), connected: make(chan struct{}), ln: ln}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/streaming/hashtag", f.stream)
	mux.HandleFunc("GET /api/v1/timelines/tag/{tag}", f.timelinePage)
	f.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = f.srv.Serve(ln) }()
	return f, nil
}

// URL is the instance's base URL.
func (f *fakeMastodon) URL() string { return "http://" + f.ln.Addr().String() }

func (f *fakeMastodon) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = f.srv.Shutdown(ctx)
	_ = f.srv.Close()
}

func statusID(i int) string { return strconv.FormatInt(statusBase+int64(i), 10) }

// itemIndex returns the index of an item id ("mastodon:<uri>", the uri ending
// in the status id), or 0 when the id is not one of ours.
func itemIndex(id string) int {
	j := strings.LastIndexByte(id, '/')
	if j < 0 {
		return 0
	}
	n, err := strconv.ParseInt(id[j+1:], 10, 64)
	if err != nil || n <= statusBase {
		return 0
	}
	return int(n - statusBase)
}

type fakeAccount struct {
	Username    string `json:"username"`
	Acct        string `json:"acct"`
	DisplayName string `json:"display_name"`
	URL         string `json:"url"`
	Avatar      string `json:"avatar"`
}

type fakeStatus struct {
	ID          string        `json:"id"`
	URI         string        `json:"uri"`
	URL         string        `json:"url"`
	CreatedAt   time.Time     `json:"created_at"`
	SpoilerText string        `json:"spoiler_text"`
	Content     string        `json:"content"`
	Account     fakeAccount   `json:"account"`
	Media       []interface{} `json:"media_attachments"`
	Reblog      interface{}   `json:"reblog"`
}

// status is the JSON of status i.
func (f *fakeMastodon) status(i int) []byte {
	user := "u" + strconv.Itoa(i%50)
	id := statusID(i)
	b, _ := json.Marshal(fakeStatus{
		ID: id, URI: "https://chaos.example/users/" + user + "/statuses/" + id,
		URL: "https://chaos.example/@" + user + "/" + id, CreatedAt: time.Unix(0, f.emittedAt[i].Load()).UTC(),
		Content: fmt.Sprintf("<p>chaos item %d <a href=\"https://chaos.example/tags/%s\">#%s</a></p>", i, f.tag, f.tag),
		Account: fakeAccount{Username: user, Acct: user + "@chaos.example", DisplayName: "User " + user,
			URL: "https://chaos.example/@" + user, Avatar: "https://chaos.example/a/" + user + ".png"},
		Media: []interface{}{},
	})
	return b
}

// state returns how many statuses are out and a channel closed at the next publish.
func (f *fakeMastodon) state() (int, chan struct{}) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.published, f.notify
}

// emit publishes statuses at the configured rate once a stream client has
// connected (plus lead, so its first backfill is done), until all are out
// or ctx ends. It returns when the last status is out.
func (f *fakeMastodon) emit(ctx context.Context, lead time.Duration) error {
	select {
	case <-f.connected:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-time.After(lead):
	case <-ctx.Done():
		return ctx.Err()
	}
	start := time.Now()
	f.started.Store(start.UnixNano())
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case now := <-tick.C:
			target := min(f.items, int(now.Sub(start).Seconds()*f.rate)+1)
			f.mu.Lock()
			for f.published < target {
				f.published++
				f.emittedAt[f.published].Store(now.UnixNano())
			}
			close(f.notify)
			f.notify = make(chan struct{})
			done := f.published >= f.items
			f.mu.Unlock()
			if done {
				f.finished.Store(now.UnixNano())
				return nil
			}
		}
	}
}

// stream serves the hashtag stream: statuses published from now on, a
// ":thump" every 5 s.
func (f *fakeMastodon) stream(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.URL.Query().Get("tag"), f.tag) {
		http.Error(w, "unknown tag", http.StatusNotFound)
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "no flusher", http.StatusInternalServerError)
		return
	}
	f.conns.Add(1)
	pos, notify := f.state()
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	_, _ = bw.WriteString(":)\n")
	if bw.Flush() != nil {
		return
	}
	fl.Flush()
	f.connectOnce.Do(func() { close(f.connected) })
	thump := time.NewTicker(5 * time.Second)
	defer thump.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-thump.C:
			_, _ = bw.WriteString(":thump\n")
		case <-notify:
			var n int
			n, notify = f.state()
			for ; pos < n; pos++ {
				_, _ = bw.WriteString("event: update\ndata: ")
				_, _ = bw.Write(f.status(pos + 1))
				_, _ = bw.WriteString("\n\n")
			}
		}
		if bw.Flush() != nil {
			return
		}
		fl.Flush()
	}
}

// timelinePage serves GET /api/v1/timelines/tag/{tag}?min_id=&limit=: the
// statuses right after min_id (or the newest without it), newest first.
func (f *fakeMastodon) timelinePage(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.PathValue("tag"), f.tag) {
		http.Error(w, "unknown tag", http.StatusNotFound)
		return
	}
	f.timeline.Add(1)
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 40 {
		limit = 20
	}
	n, _ := f.state()
	lo, hi := max(0, n-limit), n // (lo, hi]
	if m := r.URL.Query().Get("min_id"); m != "" {
		v, err := strconv.ParseInt(m, 10, 64)
		if err != nil {
			http.Error(w, "bad min_id", http.StatusBadRequest)
			return
		}
		lo = int(max(0, min(v-statusBase, int64(n))))
		hi = min(n, lo+limit)
	}
	w.Header().Set("Content-Type", "application/json")
	bw := bufio.NewWriter(w)
	_ = bw.WriteByte('[')
	for i := hi; i > lo; i-- {
		if i < hi {
			_ = bw.WriteByte(',')
		}
		_, _ = bw.Write(f.status(i))
	}
	_ = bw.WriteByte(']')
	_ = bw.Flush()
}
