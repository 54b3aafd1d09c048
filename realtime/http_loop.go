package realtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/panjf2000/gnet/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
)

// LoopServer serves a node's one HTTP port and answers the Live API's long
// polls and streams on a few event loops (gnet, one per core) that read,
// park and answer them without a goroutine per waiting connection: bare
// fasthttp, one goroutine and its buffers per connection, cost more CPU per
// delivery than nginx's nchan and about 29 KB per waiting client.
//
// Every connection starts on the loops. They read each request head
// themselves (http_loop_request.go); a long poll or stream they can take
// whole (an event in the lookup cache, a client with its cookie, a position
// in the hub's memory) they admit, park on the hub and answer there, with
// the same bytes fiber's handlers send (a test holds both to it). Any other
// request to a live path runs fiber's own handler on a goroutine, which
// answers it or, once it has admitted a wait, hands the wait back to the
// loops (adoption). Any request to another path moves the connection, bytes
// untouched, to fiber's fasthttp server; a live request arriving there moves
// it back (Hijack). So browsers, which reuse connections for everything, end
// up waiting on the loops too.
type LoopServer struct {
	h      *Handler
	opts   LoopOptions
	logger *slog.Logger
	cli    *gnet.Client

	// fallback is fiber's handler (set by Serve).
	fallback fasthttp.RequestHandler
	handoff  *handoffListener

	mu    sync.Mutex
	loops map[gnet.EventLoop]*loop
	all   []*loop
	ln    net.Listener

	serving atomic.Bool
	closing atomic.Bool
	open    atomic.Int64 // connections on the loops
	// fallbacks counts live requests the loops left to fiber's handler.
	fallbacks atomic.Int64
	stop      chan struct{}
	swept     sync.WaitGroup
}

// LoopOptions tune a LoopServer. Zero values take the defaults, which are
// fiber's settings in the app.
type LoopOptions struct {
	// Loops is the number of event loops (default GOMAXPROCS).
	Loops int
	// ReadTimeout bounds the reading of one request head (default 10s).
	ReadTimeout time.Duration
	// IdleTimeout closes a keep-alive connection with no request (default 75s).
	IdleTimeout time.Duration
	// WriteTimeout closes a connection whose answer stays unwritten this long
	// (default 30s).
	WriteTimeout time.Duration
	// Logger defaults to the handler's.
	Logger *slog.Logger
}

// FallbacksCounter is backchannel_live_loop_fallbacks_total, the live
// requests the loops left to fiber's handler (a cold event lookup, a first
// visit without its cookie, a since out of memory): one per client's first
// visit and none after in steady state, since each costs a goroutine and
// the whole middleware chain.
func (s *LoopServer) FallbacksCounter() prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "backchannel_live_loop_fallbacks_total",
		Help: "Live requests the event loops left to fiber's handler (a cold event lookup, a first visit without its cookie, a since out of memory).",
	}, func() float64 { return float64(s.fallbacks.Load()) })
}

// NewLoopServer returns a loop server for h's live routes. Serve starts it.
func NewLoopServer(h *Handler, opts LoopOptions) *LoopServer {
	if opts.Loops <= 0 {
		opts.Loops = runtime.GOMAXPROCS(0)
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = 10 * time.Second
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 75 * time.Second
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = h.logger
	}
	return &LoopServer{h: h, opts: opts, logger: opts.Logger, loops: map[gnet.EventLoop]*loop{}, stop: make(chan struct{})}
}

// Serve accepts connections on ln until it is closed (Shutdown), serving
// live requests on the loops and everything else through app's fasthttp
// server, which Serve runs too. Install Hijack on app's server first.
func (s *LoopServer) Serve(ln net.Listener, app *fiber.App) error {
	s.fallback = app.Handler()
	s.handoff = newHandoffListener(ln.Addr())
	fiberDone := make(chan error, 1)
	go func() { fiberDone <- app.Listener(s.handoff) }()
	cli, err := gnet.NewClient(&loopEvents{s: s}, gnet.WithNumEventLoop(s.opts.Loops),
		gnet.WithLogger(gnetLogger{s.logger}), gnet.WithTCPNoDelay(gnet.TCPNoDelay))
	if err == nil {
		err = cli.Start()
	}
	if err != nil {
		_ = s.handoff.Close()
		return fmt.Errorf("realtime: start the loops: %w", err)
	}
	s.mu.Lock()
	s.cli, s.ln = cli, ln
	s.mu.Unlock()
	s.serving.Store(true)
	s.swept.Add(1)
	go s.sweep()
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return nil
			}
			select {
			case ferr := <-fiberDone:
				return errors.Join(err, ferr)
			default:
			}
			return fmt.Errorf("realtime: loop server accept: %w", err)
		}
		if err := s.enroll(c, nil); err != nil {
			s.logger.Warn("realtime: a connection could not join the loops", "err", err)
		}
	}
}

// enroll moves a connection onto a loop (gnet duplicates its descriptor and
// closes c), with the bytes already read of it.
func (s *LoopServer) enroll(c net.Conn, pending []byte) error {
	lc := &loopConn{s: s, in: pending, first: true, idx: -1}
	lc.sleeper.owner = lc
	if _, err := s.cli.EnrollContext(c, lc); err != nil {
		_ = c.Close()
		return err
	}
	return nil
}

// Shutdown stops accepting, lets the loops finish the answers under way
// (call the handler's Drain first: it answers parked polls and ends
// streams), closes every connection between requests and stops the loops.
// Connections still busy when ctx ends are closed. fiber's server is shut
// down by its own Shutdown.
func (s *LoopServer) Shutdown(ctx context.Context) error {
	if !s.closing.CompareAndSwap(false, true) {
		return nil
	}
	s.serving.Store(false)
	s.mu.Lock()
	ln, cli := s.ln, s.cli
	s.mu.Unlock()
	if ln != nil {
		_ = ln.Close()
	}
	close(s.stop)
	s.swept.Wait()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for s.open.Load() > 0 {
		for _, l := range s.loopList() {
			l.post(loopEvent{kind: evCloseIdle})
		}
		select {
		case <-ctx.Done():
			s.open.Store(0)
		case <-tick.C:
		}
	}
	if cli != nil {
		return cli.Stop()
	}
	return nil
}

func (s *LoopServer) loopList() []*loop {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*loop(nil), s.all...)
}

// loopOf returns the state of an event loop, made on its first connection.
func (s *LoopServer) loopOf(el gnet.EventLoop) *loop {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.loops[el]
	if l == nil {
		l = &loop{s: s, el: el, answers: map[*byte]memoBytes{}, chunks: map[*byte]memoBytes{}}
		l.run = gnet.RunnableFunc(l.drain)
		s.loops[el] = l
		s.all = append(s.all, l)
	}
	return l
}

// clockBase anchors loopClock.
var clockBase = time.Now()

// loopClock is the loops' clock for deadlines and timeouts: monotonic
// nanoseconds since the package started, never 0 (0 means "none"). It reads
// one clock where time.Now reads two, and a step of the wall clock moves no
// deadline.
func loopClock() int64 { return int64(time.Since(clockBase)) + 1 }

// sweepEvery is how often each loop checks its connections' deadlines: a
// scan of one int64 per connection. Every timeout the loops keep is seconds
// long (a poll's wait, the idle, read and write timeouts), so a quarter of a
// second late is nothing, and each sweep wakes both loops: an idle node pays
// for them (Round 6 in docs/figures.md).
const sweepEvery = 250 * time.Millisecond

func (s *LoopServer) sweep() {
	defer s.swept.Done()
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			for _, l := range s.loopList() {
				l.post(loopEvent{kind: evSweep})
			}
		}
	}
}

// Hijack wraps fasthttp's handler (fiber's server) so that a long poll or
// stream arriving on one of its connections moves that connection to the
// loops, request and all, unanswered: the loops answer it. Requests the
// loops would hand back (a body, HTTP/1.0, odd headers) and every other
// request go to next.
func (s *LoopServer) Hijack(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if !s.serving.Load() || s.h.draining.Load() || !ctx.IsGet() {
			next(ctx)
			return
		}
		if _, kind := livePath(ctx.URI().PathOriginal()); kind == pathOther || !movable(ctx.Conn()) {
			next(ctx)
			return
		}
		head := ctx.Request.Header.Header()
		if h, err := parseHead(head); err != nil || h.size != len(head) || h.handOver {
			next(ctx)
			return
		}
		raw := append([]byte(nil), head...)
		ctx.HijackSetNoResponse(true)
		ctx.Hijack(func(c net.Conn) { s.adopt(c, raw) })
	}
}

// movable reports whether a fasthttp connection can move to the loops (a
// TCP connection, possibly one the loops handed over).
func movable(c net.Conn) bool {
	if p, ok := c.(*prefixConn); ok {
		c = p.Conn
	}
	_, ok := c.(*net.TCPConn)
	return ok
}

// adopt moves a connection fasthttp hijacked to the loops, with the request
// it read (raw) and whatever it had read beyond it.
func (s *LoopServer) adopt(hc net.Conn, raw []byte) {
	conn := hc
	if u, ok := hc.(interface{ UnsafeConn() net.Conn }); ok {
		conn = u.UnsafeConn()
	}
	// What fasthttp buffered after the request: read it back through the
	// hijacked connection (its reader first), stopping at the socket.
	if err := conn.SetReadDeadline(time.Unix(1, 0)); err == nil {
		buf := make([]byte, 4096)
		for {
			n, err := hc.Read(buf)
			raw = append(raw, buf[:n]...)
			if err != nil {
				break
			}
		}
		_ = conn.SetReadDeadline(time.Time{})
	}
	if p, ok := conn.(*prefixConn); ok {
		conn = p.Conn
	}
	if s.closing.Load() {
		_ = conn.Close()
		return
	}
	if err := s.enroll(conn, raw); err != nil {
		s.logger.Warn("realtime: a hijacked connection could not join the loops", "err", err)
	}
}

// loopEvents are the gnet callbacks, on the connection's loop.
type loopEvents struct {
	gnet.BuiltinEventEngine
	s *LoopServer
}

func (e *loopEvents) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	lc, ok := c.Context().(*loopConn)
	if !ok {
		return nil, gnet.Close
	}
	lc.c = c
	lc.l = e.s.loopOf(c.EventLoop())
	lc.l.add(lc)
	e.s.open.Add(1)
	lc.headStart = loopClock()
	return nil, lc.guard(lc.serve)
}

func (e *loopEvents) OnTraffic(c gnet.Conn) gnet.Action {
	lc, ok := c.Context().(*loopConn)
	if !ok {
		return gnet.Close
	}
	data, _ := c.Next(-1)
	if lc.state == stateGone {
		return gnet.Close
	}
	if len(lc.in) == 0 && lc.state == stateRead {
		lc.in = data // borrowed from the loop's buffer for this call
		act := lc.guard(lc.serve)
		if len(lc.in) > 0 {
			lc.in = append([]byte(nil), lc.in...)
		} else {
			lc.in = nil
		}
		return act
	}
	if len(lc.in)+len(data) > 4*maxHeadBytes {
		// A client that sends while its request waits, more than any
		// pipelined heads would take: not a browser.
		return gnet.Close
	}
	lc.in = append(lc.in, data...)
	if lc.state == stateRead {
		return lc.guard(lc.serve)
	}
	return gnet.None
}

func (e *loopEvents) OnClose(c gnet.Conn, _ error) gnet.Action {
	lc, ok := c.Context().(*loopConn)
	if !ok || lc.l == nil {
		return gnet.None
	}
	lc.closed()
	lc.l.remove(lc)
	e.s.open.Add(-1)
	return gnet.None
}

// gnetLogger sends gnet's log to slog.
type gnetLogger struct{ l *slog.Logger }

func (g gnetLogger) Debugf(f string, a ...any) { g.l.Debug("gnet: " + fmt.Sprintf(f, a...)) }
func (g gnetLogger) Infof(f string, a ...any)  { g.l.Debug("gnet: " + fmt.Sprintf(f, a...)) }
func (g gnetLogger) Warnf(f string, a ...any)  { g.l.Warn("gnet: " + fmt.Sprintf(f, a...)) }
func (g gnetLogger) Errorf(f string, a ...any) { g.l.Error("gnet: " + fmt.Sprintf(f, a...)) }
func (g gnetLogger) Fatalf(f string, a ...any) { g.l.Error("gnet: " + fmt.Sprintf(f, a...)) }

// fasthttpLogger sends fasthttp's log to slog.
type fasthttpLogger struct{ l *slog.Logger }

func (f fasthttpLogger) Printf(format string, a ...any) {
	f.l.Warn("fasthttp: " + fmt.Sprintf(format, a...))
}

// evKind is what a loop event asks for.
type evKind uint8

const (
	evWake        evKind = iota // the hub woke a parked poll or stream
	evWrite                     // write data, in order with the events around it
	evAnswer                    // write data: the request is answered (flag: close after)
	evAdoptPoll                 // fiber admitted a long poll: wait for it here
	evAdoptStream               // fiber admitted a stream and wrote its start: follow it here
	evStreamOn                  // a goroutine caught a stream up: follow it here again
	evHandOver                  // give the connection to fasthttp from data on
	evSweep                     // check the loop's deadlines
	evCloseIdle                 // shutdown: close the connections between requests
)

// loopEvent is work for a loop, posted from any goroutine.
type loopEvent struct {
	lc     *loopConn
	gen    uint32
	kind   evKind
	flag   bool
	data   []byte
	poll   *adoptedPoll
	stream *adoptedStream
	header *fasthttp.ResponseHeader
	since  int64
	epoch  string
}

// loop is the loop server's state of one event loop. Everything but the
// queue is touched only on the loop's own goroutine.
type loop struct {
	s   *LoopServer
	el  gnet.EventLoop
	run gnet.Runnable

	mu     sync.Mutex
	queue  []loopEvent
	spare  []loopEvent
	posted bool

	conns     []*loopConn
	deadlines []int64 // unix ns by conn index; 0: none
	due       []*loopConn

	// Answers and stream chunks cut for one page are written to every
	// connection that asked for it: memoised by page until the sweep after
	// the second turns (their Date header is then at most sweepEvery late;
	// fasthttp's own is refreshed once a second).
	memoSec int64
	answers map[*byte]memoBytes
	chunks  map[*byte]memoBytes
}

// memoBytes is bytes made from a page, holding the page's JSON so that its
// address cannot be reused while the memo lives.
type memoBytes struct {
	page []byte
	out  []byte
}

// post queues e for the loop and makes sure the loop will run its queue.
func (l *loop) post(e loopEvent) {
	l.mu.Lock()
	l.queue = append(l.queue, e)
	kick := !l.posted
	l.posted = true
	l.mu.Unlock()
	if kick {
		if err := l.el.Execute(context.Background(), l.run); err != nil {
			// The loops are stopping: nobody will run the queue.
			l.mu.Lock()
			l.posted = false
			l.mu.Unlock()
		}
	}
}

// drainYieldEvery is how many events drain handles between yields: about
// a millisecond of answers.
const drainYieldEvery = 64

// drain runs the queued events, on the loop.
func (l *loop) drain(context.Context) error {
	l.mu.Lock()
	q := l.queue
	l.queue, l.spare = l.spare, nil
	l.posted = false
	l.mu.Unlock()
	for i := range q {
		l.handle(&q[i])
		q[i] = loopEvent{}
		if i%drainYieldEvery == drainYieldEvery-1 {
			// A wake-up of thousands of waiters takes tens of ms: yield
			// now and then, as the patched gnet's Polling does between
			// batches, rather than be preempted by the runtime's monitor.
			runtime.Gosched()
		}
	}
	l.mu.Lock()
	if l.spare == nil {
		l.spare = q[:0]
	}
	l.mu.Unlock()
	return nil
}

func (l *loop) add(lc *loopConn) {
	lc.idx = len(l.conns)
	l.conns = append(l.conns, lc)
	l.deadlines = append(l.deadlines, 0)
}

func (l *loop) remove(lc *loopConn) {
	i := lc.idx
	if i < 0 || i >= len(l.conns) || l.conns[i] != lc {
		return
	}
	last := len(l.conns) - 1
	l.conns[i], l.deadlines[i] = l.conns[last], l.deadlines[last]
	l.conns[i].idx = i
	l.conns[last] = nil
	l.conns, l.deadlines = l.conns[:last], l.deadlines[:last]
	lc.idx = -1
}

func (l *loop) handle(e *loopEvent) {
	switch e.kind {
	case evSweep:
		l.sweep()
		return
	case evCloseIdle:
		l.closeIdle()
		return
	}
	lc := e.lc
	if lc.gen != e.gen || lc.state == stateGone {
		e.dropped()
		return
	}
	lc.apply(lc.guard(func() gnet.Action { return lc.onEvent(e) }))
}

// dropped gives back what an event meant for a connection that moved on
// (closed, or past the wait it was for) holds.
func (e *loopEvent) dropped() {
	if e.poll != nil {
		e.poll.release()
	}
	if e.stream != nil {
		e.stream.release()
	}
}

// sweep acts on the connections whose deadline passed.
func (l *loop) sweep() {
	now := loopClock()
	l.due = l.due[:0]
	for i, d := range l.deadlines {
		if d != 0 && d <= now {
			l.due = append(l.due, l.conns[i])
		}
	}
	for _, lc := range l.due {
		if lc.idx >= 0 {
			lc.apply(lc.guard(lc.onDeadline))
		}
	}
	clear(l.due)
	if sec := time.Now().Unix(); sec != l.memoSec {
		l.memoSec = sec
		clear(l.answers)
		clear(l.chunks)
	}
}

// closeIdle closes the connections between requests (shutdown).
func (l *loop) closeIdle() {
	l.due = append(l.due[:0], l.conns...)
	for _, lc := range l.due {
		if lc.idx >= 0 && (lc.state == stateRead && len(lc.in) == 0 || lc.state == stateClosing) {
			_ = l.el.Close(lc.c)
		}
	}
	clear(l.due)
}
