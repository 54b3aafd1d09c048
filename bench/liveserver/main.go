// Command liveserver serves only the Live API (realtime.Handler over a Hub
// and Log on Redis) with no other middleware, through the loop server as
// the app does (-loops=false: fiber's fasthttp server and the fast path), so
// bench/livepoll can measure the live path alone and profile it. The event
// is given on the command line; nothing is read from Postgres.
//
//	go run ./bench/liveserver -addr 127.0.0.1:3200 -redis 127.0.0.1:56379 -event demo -event-id 1 -cpuprofile cpu.out
//
// With -profile-signals the CPU profile runs from SIGUSR1 to SIGUSR2 (the
// load harness brackets the deliveries with them) instead of from start to
// SIGINT.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/realtime"
)

// oneEvent is an EventLookup that knows a single event.
type oneEvent struct{ ev realtime.LiveEvent }

func (o oneEvent) LookupLive(_ context.Context, slug string) (realtime.LiveEvent, error) {
	if slug != o.ev.Slug {
		return realtime.LiveEvent{}, models.NotFound("event", slug)
	}
	return o.ev, nil
}

// FreshLive lets the fast path answer without a lookup.
func (o oneEvent) FreshLive(slug []byte) (realtime.LiveEvent, bool) {
	return o.ev, string(slug) == o.ev.Slug
}

func main() {
	addr := flag.String("addr", "127.0.0.1:3200", "listen address")
	redisAddr := flag.String("redis", "127.0.0.1:56379", "Redis address")
	redisDB := flag.Int("redis-db", 0, "Redis logical database")
	ns := flag.String("namespace", "", "Redis key namespace")
	slug := flag.String("event", "demo", "event slug")
	id := flag.Int64("event-id", 1, "event id")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here until SIGINT")
	profileSignals := flag.Bool("profile-signals", false, "profile from SIGUSR1 to SIGUSR2 instead of from start to SIGINT")
	useLoops := flag.Bool("loops", true, "serve the live path on the loop server, as the app does")
	postRate := flag.Int("post-rate", 6, "attendee posts per client per minute (RATE_LIMIT_POSTS)")
	historyRate := flag.Int("history-rate", 60, "history requests per client per minute (RATE_LIMIT_HISTORY)")
	flag.Parse()

	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{*redisAddr}, SelectDB: *redisDB, DisableCache: true})
	if err != nil {
		log.Fatal(err)
	}
	defer rc.Close()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	metrics := realtime.NewMetrics(nil)
	rlog := realtime.NewLog(rc, *ns)
	hub := realtime.NewHub(rc, rlog, nil, realtime.HubOptions{Metrics: metrics, Logger: logger})
	h := realtime.NewHandler(realtime.HandlerDeps{Hub: hub, Log: rlog, Events: oneEvent{realtime.LiveEvent{ID: *id, Slug: *slug, Posting: "open"}},
		Limiter: realtime.NewLimiter(rc, *ns), Metrics: metrics, Logger: logger,
		PostRate:    realtime.RateLimit{Count: *postRate, Period: time.Minute},
		HistoryRate: realtime.RateLimit{Count: *historyRate, Period: time.Minute}})
	app := fiber.New(fiber.Config{ErrorHandler: web.Handler(nil), DisableStartupMessage: true,
		ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 75 * time.Second, Concurrency: 256 * 1024})
	h.Register(app)
	app.Server().Handler = h.FastLive(app.Server().Handler)
	var loops *realtime.LoopServer
	if *useLoops {
		loops = realtime.NewLoopServer(h, realtime.LoopOptions{Logger: logger})
		app.Server().Handler = loops.Hijack(app.Server().Handler)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() { _ = hub.Run(ctx) }()
	stopProfile := profile(*cpuprofile, *profileSignals)
	defer stopProfile()
	go func() {
		<-ctx.Done()
		h.Drain()
		if loops != nil {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = loops.Shutdown(sctx)
			cancel()
		}
		_ = app.ShutdownWithTimeout(5 * time.Second)
	}()
	fmt.Fprintf(os.Stderr, "liveserver: serving event %s (id %d) on %s (loops %v)\n", *slug, *id, *addr, loops != nil)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if loops != nil {
		err = loops.Serve(ln, app)
	} else {
		err = app.Listener(ln)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Print(err)
	}
	stopProfile()
	printLatency(metrics)
}

// profile starts the CPU profile into path (none when empty): at once, or
// at SIGUSR1 until SIGUSR2. The returned func stops it (idempotent).
func profile(path string, onSignals bool) func() {
	if path == "" {
		return func() {}
	}
	var mu sync.Mutex
	var f *os.File
	start := func() {
		mu.Lock()
		defer mu.Unlock()
		if f != nil {
			return
		}
		var err error
		if f, err = os.Create(path); err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		fmt.Fprintln(os.Stderr, "liveserver: CPU profile started")
	}
	stopped := false
	stop := func() {
		mu.Lock()
		defer mu.Unlock()
		if f == nil || stopped {
			return
		}
		stopped = true
		pprof.StopCPUProfile()
		_ = f.Close()
		fmt.Fprintln(os.Stderr, "liveserver: CPU profile written to", path)
	}
	if !onSignals {
		start()
		return stop
	}
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGUSR1, syscall.SIGUSR2)
	go func() {
		for s := range sig {
			if s == syscall.SIGUSR1 {
				start()
			} else {
				stop()
			}
		}
	}()
	return stop
}

// printLatency prints the hub's own arrival → delivery histogram (measured
// where the page is cut, before the response is written), to tell server
// delay from client delay.
func printLatency(m *realtime.Metrics) {
	var d dto.Metric
	if err := m.Latency.Write(&d); err != nil || d.Histogram == nil {
		return
	}
	h := d.Histogram
	fmt.Fprintf(os.Stderr, "liveserver: hub arrival→delivery, %d deliveries:", h.GetSampleCount())
	for _, b := range h.Bucket {
		fmt.Fprintf(os.Stderr, " ≤%gs:%.1f%%", b.GetUpperBound(), 100*float64(b.GetCumulativeCount())/float64(max(h.GetSampleCount(), 1)))
	}
	fmt.Fprintln(os.Stderr)
}
