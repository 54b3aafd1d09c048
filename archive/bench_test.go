package archive

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/views"
)

// BenchmarkSessionPage serves the first page of a 1,000-item session over a
// real socket to 50 concurrent clients and reports latency percentiles
// (server time: the handler chain, from a middleware; client time: request
// sent to body read, queueing and transfer included).
func BenchmarkSessionPage(b *testing.B) { benchSessionPage(b, false, 50) }

// BenchmarkSessionPageUncached is the same with no cache: every request
// queries Postgres and renders.
func BenchmarkSessionPageUncached(b *testing.B) { benchSessionPage(b, true, 50) }

// BenchmarkSessionPageMiss is one client with no cache: the cost of a cache
// miss (after every stamp bump) on its own.
func BenchmarkSessionPageMiss(b *testing.B) { benchSessionPage(b, true, 1) }

func benchSessionPage(b *testing.B, uncached bool, workers int) {
	e := newEnv(b)
	for i := range 1000 {
		e.add(&e.talk, time.Duration(i)*3*time.Second, func(it *models.Item) {
			it.HTML = fmt.Sprintf(`<p>item %d about <a href="https://l%d.example/">a link</a> and more words to make it a real post</p>`, i, i%13)
			if i%10 == 0 {
				it.Media = []byte(fmt.Sprintf(`[{"type":"image","url":"https://img.example/%d.jpg","alt":"photo %d"}]`, i, i))
			}
		})
	}
	if sqlDB, err := e.db.DB.DB(); err == nil {
		sqlDB.SetMaxIdleConns(40) // as many idle as open: no reconnects under load
	}
	h := e.h
	if uncached {
		h = NewHandler(store.New(e.db.DB), store.NewEvents(store.New(e.db.DB), store.EventsOptions{}), Options{BaseURL: "https://bc.example"})
	}
	app := fiber.New(fiber.Config{ErrorHandler: web.Handler(views.RenderError), DisableStartupMessage: true})
	var mu sync.Mutex
	var lat, server []time.Duration
	var size int
	app.Use(func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		d := time.Since(start)
		mu.Lock()
		server = append(server, d)
		size = len(c.Response().Body())
		mu.Unlock()
		return err
	})
	h.Register(app)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(b, err)
	go func() { _ = app.Listener(ln) }()
	defer func() { _ = app.Shutdown() }()
	url := "http://" + ln.Addr().String() + "/events/conf/sessions/keynote"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	get := func() time.Duration {
		start := time.Now()
		res, err := client.Get(url)
		if err != nil {
			b.Error(err)
			return 0
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			b.Errorf("status %d", res.StatusCode)
		}
		return time.Since(start)
	}
	get() // warm
	mu.Lock()
	server = server[:0]
	mu.Unlock()
	b.ResetTimer()
	for b.Loop() {
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				d := get()
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	b.StopTimer()
	pct := func(ds []time.Duration, p float64) float64 {
		slices.Sort(ds)
		return float64(ds[int(p*float64(len(ds)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(server, 0.5), "server-p50-ms")
	b.ReportMetric(pct(server, 0.99), "server-p99-ms")
	b.ReportMetric(pct(lat, 0.5), "client-p50-ms")
	b.ReportMetric(pct(lat, 0.99), "client-p99-ms")
	b.ReportMetric(float64(size), "page-bytes")
}
