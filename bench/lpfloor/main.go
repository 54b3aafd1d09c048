// Command lpfloor is the floor under the live path's cost: nchan's long-poll
// protocol (POST /pub?id=C publishes, GET /sub?id=C waits, resuming with
// If-None-Match) on bare fasthttp, with one in-memory list of messages per
// channel and nothing else: no fiber, no hub, no Redis, no JSON. Driven by
// bench/livepoll -mode nchan like nchan itself, it shows what any long-poll
// server built on fasthttp and Go's runtime costs per delivery on this
// machine, so that the live path's figures can be read against it.
//
//	go run ./bench/lpfloor -addr 127.0.0.1:3400 &
//	go run ./bench/livepoll -mode nchan -url http://127.0.0.1:3400 -event c1 -clients 1000 -rate 5
package main

import (
	"flag"
	"log"
	"strconv"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// channel is one channel's messages and the wake-up of its waiters.
type channel struct {
	mu   sync.Mutex
	msgs [][]byte
	wake chan struct{}
}

// server holds the channels by id.
type server struct {
	mu       sync.Mutex
	channels map[string]*channel
	wait     time.Duration
}

func (s *server) channel(id string) *channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[id]
	if c == nil {
		c = &channel{wake: make(chan struct{})}
		s.channels[id] = c
	}
	return c
}

// lastModified is constant: If-None-Match (the message's index) orders them.
const lastModified = "Thu, 01 Jan 2026 00:00:00 GMT"

func (s *server) handle(ctx *fasthttp.RequestCtx) {
	c := s.channel(string(ctx.QueryArgs().Peek("id")))
	switch string(ctx.Path()) {
	case "/pub":
		c.mu.Lock()
		c.msgs = append(c.msgs, append([]byte(nil), ctx.PostBody()...))
		close(c.wake)
		c.wake = make(chan struct{})
		c.mu.Unlock()
		ctx.SetStatusCode(fasthttp.StatusCreated)
	case "/sub":
		s.subscribe(ctx, c)
	default:
		ctx.SetStatusCode(fasthttp.StatusNotFound)
	}
}

// subscribe answers the message after the one If-None-Match names (a new
// subscriber waits for the next one), or 304 when the wait ends first.
func (s *server) subscribe(ctx *fasthttp.RequestCtx, c *channel) {
	c.mu.Lock()
	next := len(c.msgs)
	if tag := ctx.Request.Header.Peek("If-None-Match"); len(tag) > 0 {
		if n, err := strconv.Atoi(string(tag)); err == nil {
			next = n + 1
		}
	}
	timer := time.NewTimer(s.wait)
	defer timer.Stop()
	for next >= len(c.msgs) {
		wake := c.wake
		c.mu.Unlock()
		select {
		case <-wake:
		case <-timer.C:
			ctx.SetStatusCode(fasthttp.StatusNotModified)
			return
		}
		c.mu.Lock()
	}
	body := c.msgs[next]
	c.mu.Unlock()
	ctx.Response.Header.Set("Etag", strconv.Itoa(next))
	ctx.Response.Header.Set("Last-Modified", lastModified)
	ctx.SetContentType("text/plain")
	ctx.SetBody(body)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:3400", "listen address")
	wait := flag.Duration("wait", 25*time.Second, "long-poll wait")
	flag.Parse()
	s := &server{channels: map[string]*channel{}, wait: *wait}
	// The app's own timeouts, which cost a deadline per request.
	srv := &fasthttp.Server{Handler: s.handle, Concurrency: 256 * 1024,
		ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 75 * time.Second}
	log.Printf("lpfloor: nchan's long-poll protocol on bare fasthttp at %s", *addr)
	log.Fatal(srv.ListenAndServe(*addr))
}
