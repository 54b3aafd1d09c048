package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/backchannel/backchannel/sources/fakes"
)

// upstreams runs the fake services of package sources/fakes (written from
// the upstreams' own documentation and source) on one loopback port: a
// Mastodon instance (/api/), Jetstream (/subscribe), the AppView
// (/xrpc/) and X's filtered stream (/2/). Items are spread round-robin over
// the selected kinds.
type upstreams struct {
	kinds []string
	items int
	rate  float64

	mastodon *fakes.Mastodon
	jet      *fakes.Jetstream
	appview  *fakes.AppView
	x        *fakes.XStream

	mu        sync.Mutex
	published int
	notify    chan struct{}
	emittedAt []atomic.Int64
	index     sync.Map // item ID → index

	connected         chan struct{}
	started, finished atomic.Int64

	srv *http.Server
	ln  net.Listener
}

// sourceKinds lists the kinds a -source flag selects.
func sourceKinds(flag string) ([]string, error) {
	switch flag {
	case "mastodon", "bluesky", "x":
		return []string{flag}, nil
	case "all":
		return []string{"mastodon", "bluesky", "x"}, nil
	}
	return nil, fmt.Errorf("-source must be mastodon, bluesky, x or all, not %q", flag)
}

func newUpstreams(kinds []string, items int, rate float64) (*upstreams, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fake upstreams: listen: %w", err)
	}
	u := &upstreams{kinds: kinds, items: items, rate: rate, notify: make(chan struct{}),
		emittedAt: make([]atomic.Int64, items+1), connected: make(chan struct{}), ln: ln,
		mastodon: fakes.NewMastodon(fakes.MastodonOptions{Tag: tag, Domain: "chaos.example", Token: "chaos-token"}),
		jet:      fakes.NewJetstream(),
		appview:  fakes.NewAppView(),
		x:        fakes.NewXStream(fakes.XStreamOptions{Token: "chaos-token", AllowBackfill: true}),
	}
	mux := http.NewServeMux()
	mux.Handle("/api/", u.mastodon)
	mux.Handle("/subscribe", u.jet)
	mux.Handle("/xrpc/", u.appview)
	mux.Handle("/2/", u.x)
	u.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = u.srv.Serve(ln) }()
	go u.watchConnected()
	return u, nil
}

// URL is the fakes' base URL.
func (u *upstreams) URL() string { return "http://" + u.ln.Addr().String() }

// Host is host:port of the fakes (for OUTBOUND_ALLOW_PRIVATE).
func (u *upstreams) Host() string { return u.ln.Addr().String() }

func (u *upstreams) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = u.srv.Shutdown(ctx)
	_ = u.srv.Close()
}

// watchConnected closes connected once every selected kind has a stream open.
func (u *upstreams) watchConnected() {
	for {
		ok := true
		for _, k := range u.kinds {
			switch k {
			case "mastodon":
				ok = ok && u.mastodon.Stats().OpenStreams > 0
			case "bluesky":
				ok = ok && u.jet.OpenConnections() > 0
			case "x":
				ok = ok && u.x.Stats().Open > 0
			}
		}
		if ok {
			close(u.connected)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sourcesYAML is the event file's sources: entries.
func (u *upstreams) sourcesYAML() string {
	var b strings.Builder
	for _, k := range u.kinds {
		switch k {
		case "mastodon":
			fmt.Fprintf(&b, "  - kind: mastodon\n    instance: %s\n    tag: %s\n    token_env: MASTODON_TOKEN\n", u.URL(), tag)
		case "bluesky":
			ws := "ws" + strings.TrimPrefix(u.URL(), "http")
			fmt.Fprintf(&b, "  - kind: bluesky\n    endpoint: %s/subscribe\n    keywords: [\"#%s\"]\n    profile_base: %s\n", ws, tag, u.URL())
		case "x":
			fmt.Fprintf(&b, "  - kind: x\n    base_url: %s\n    rule: \"#%s -is:retweet\"\n    token_env: X_BEARER_TOKEN\n    access: enterprise\n", u.URL(), tag)
		}
	}
	return b.String()
}

// publish makes item i public on its upstream and records its item ID.
func (u *upstreams) publish(i int) {
	user := "u" + strconv.Itoa(i%50)
	text := fmt.Sprintf("chaos item %d #%s", i, tag)
	var id string
	switch u.kinds[i%len(u.kinds)] {
	case "mastodon":
		id = "mastodon:" + u.mastodon.Post(user, text).URI
	case "bluesky":
		did := "did:plc:chaos" + user
		rkey := "3chaos" + strconv.Itoa(i)
		u.jet.Post(fakes.JetstreamPost{DID: did, RKey: rkey, Text: text})
		id = "bluesky:at://" + did + "/app.bsky.feed.post/" + rkey
	case "x":
		id = "x:" + u.x.Tweet(user, text)
	}
	u.index.Store(id, i)
}

// itemIndex returns the index of an item ID the run emitted, or 0.
func (u *upstreams) itemIndex(id string) int {
	if v, ok := u.index.Load(id); ok {
		return v.(int)
	}
	// A fake hands an item to the workers before publish returns its ID,
	// and the whole path to a client can be faster than the emitter's next
	// statement: wait for the batch being published (it holds mu) and look
	// again.
	u.mu.Lock()
	//lint:ignore SA2001 the empty critical section waits for the emitter
	u.mu.Unlock()
	if v, ok := u.index.Load(id); ok {
		return v.(int)
	}
	return 0
}

// state returns how many items are out and a channel closed at the next publish.
func (u *upstreams) state() (int, chan struct{}) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.published, u.notify
}

// emit publishes items at the configured rate once every source has
// connected (plus lead, so first backfills are done), until all are out or
// ctx ends.
func (u *upstreams) emit(ctx context.Context, lead time.Duration) error {
	select {
	case <-u.connected:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-time.After(lead):
	case <-ctx.Done():
		return ctx.Err()
	}
	start := time.Now()
	u.started.Store(start.UnixNano())
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case now := <-tick.C:
			target := min(u.items, int(now.Sub(start).Seconds()*u.rate)+1)
			u.mu.Lock()
			for u.published < target {
				u.published++
				u.emittedAt[u.published].Store(time.Now().UnixNano())
				u.publish(u.published)
			}
			close(u.notify)
			u.notify = make(chan struct{})
			done := u.published >= u.items
			u.mu.Unlock()
			if done {
				u.finished.Store(now.UnixNano())
				return nil
			}
		}
	}
}
