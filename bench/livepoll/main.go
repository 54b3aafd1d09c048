// Command livepoll measures the live path end to end: it parks C long-poll
// (or SSE) clients on a running web node, appends items to the event's live
// log in Redis at R per second through realtime.Log.AppendItem (the path a
// source takes), and reports arrival → client latency, deliveries per
// second, entries lost or duplicated per client, and the server's (and
// Redis's) memory and CPU.
//
//	go run ./bench/livepoll -url http://127.0.0.1:3000 -event demo -clients 1000 -rate 5 -duration 30s -redis 127.0.0.1:56379
//
// Every client has its own connection and cookie jar, starts at the log's
// head and must receive every entry appended during the run exactly once,
// in order; the tool prints the totals of lost and duplicated entries (both
// must be 0) and exits non-zero otherwise.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/realtime"
)

type config struct {
	baseURL   string
	event     string
	eventID   int64
	clients   int
	rate      float64
	duration  time.Duration
	redisAddr string
	redisDB   int
	namespace string
	pid       int
	mode      string
	apiKey    string
	wait      int
	settle    time.Duration
}

func main() {
	var cfg config
	flag.StringVar(&cfg.baseURL, "url", "http://127.0.0.1:3000", "base URL of the web node")
	flag.StringVar(&cfg.event, "event", "demo", "event slug")
	flag.Int64Var(&cfg.eventID, "event-id", 0, "event id (default: looked up with GET /api/events/{event})")
	flag.IntVar(&cfg.clients, "clients", 1000, "concurrent clients")
	flag.Float64Var(&cfg.rate, "rate", 5, "items appended per second")
	flag.DurationVar(&cfg.duration, "duration", 30*time.Second, "how long to append")
	flag.StringVar(&cfg.redisAddr, "redis", "127.0.0.1:56379", "Redis address the server uses")
	flag.IntVar(&cfg.redisDB, "redis-db", 0, "Redis logical database the server uses")
	flag.StringVar(&cfg.namespace, "namespace", "", "key namespace the server uses (\"\" in production)")
	flag.IntVar(&cfg.pid, "pid", 0, "server process id (default: the process listening on -url's port)")
	flag.StringVar(&cfg.mode, "mode", "poll", "poll (long poll), sse (the Live API's stream), nchan (long poll against nginx's nchan at -url; -event names the channel) or centrifugo (Centrifugo's uni_sse at -url; -event names the channel, -api-key publishes)")
	flag.StringVar(&cfg.apiKey, "api-key", "", "centrifugo: the HTTP API key (http_api.key)")
	flag.IntVar(&cfg.wait, "wait", 25, "long-poll wait in seconds")
	flag.DurationVar(&cfg.settle, "settle", 10*time.Second, "how long clients may take to catch up after the last append")
	cpuprofile := flag.String("cpuprofile", "", "write the tool's own CPU profile here")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatalf("livepoll: %v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatalf("livepoll: %v", err)
		}
		defer pprof.StopCPUProfile()
	}
	switch cfg.mode {
	case "poll", "sse", "nchan", "centrifugo":
	default:
		log.Fatalf("livepoll: -mode must be poll, sse, nchan or centrifugo, not %q", cfg.mode)
	}
	if err := run(cfg); err != nil {
		pprof.StopCPUProfile()
		log.Fatalf("livepoll: %v", err)
	}
}

func run(cfg config) error {
	ctx := context.Background()
	pids := []int{cfg.pid}
	if cfg.pid == 0 {
		pids = pidsListeningOn(cfg.baseURL)
	}
	var (
		rc          rueidis.Client
		epoch       string
		head        int64
		appendItems func() (seqs []int64, errs int64, last int64)
	)
	switch cfg.mode {
	case "nchan":
		appendItems = func() ([]int64, int64, int64) { return nchanAppendLoop(cfg) }
		fmt.Printf("livepoll: nchan at %s channel %s, %d long-poll clients, %.1f messages/s for %s, server pids %v\n",
			cfg.baseURL, cfg.event, cfg.clients, cfg.rate, cfg.duration, pids)
	case "centrifugo":
		appendItems = func() ([]int64, int64, int64) { return centrifugoAppendLoop(cfg) }
		fmt.Printf("livepoll: centrifugo at %s channel %s, %d uni_sse clients, %.1f messages/s for %s, server pids %v\n",
			cfg.baseURL, cfg.event, cfg.clients, cfg.rate, cfg.duration, pids)
	default:
		if cfg.eventID == 0 {
			id, err := lookupEventID(cfg.baseURL, cfg.event)
			if err != nil {
				return err
			}
			cfg.eventID = id
		}
		var err error
		rc, err = rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{cfg.redisAddr}, SelectDB: cfg.redisDB, DisableCache: true})
		if err != nil {
			return fmt.Errorf("connect to Redis %s: %w", cfg.redisAddr, err)
		}
		defer rc.Close()
		rlog := realtime.NewLog(rc, cfg.namespace)
		if epoch, head, err = rlog.Head(ctx, cfg.eventID); err != nil {
			return err
		}
		appendItems = func() ([]int64, int64, int64) { return appendLoop(ctx, cfg, rlog) }
		fmt.Printf("livepoll: %s event %s (id %d) at head %d, %d %s clients, %.1f items/s for %s, server pids %v\n",
			cfg.baseURL, cfg.event, cfg.eventID, head, cfg.clients, cfg.mode, cfg.rate, cfg.duration, pids)
	}

	stop := make(chan struct{})
	var started atomic.Int64
	cls := make([]*client, cfg.clients)
	for i := range cls {
		cls[i] = newClient(cfg, epoch, head, &started)
	}
	var wg sync.WaitGroup
	loops := runtime.GOMAXPROCS(0)
	for i := range loops {
		l, err := newEventLoop(hostOf(cfg.baseURL))
		if err != nil {
			return err
		}
		var mine []*client
		for j := i; j < len(cls); j += loops {
			mine = append(mine, cls[j])
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			l.run(mine, stop)
		}()
	}
	connectStart, lastReport := time.Now(), time.Now()
	for started.Load() < int64(cfg.clients) {
		time.Sleep(50 * time.Millisecond)
		if time.Since(lastReport) >= 5*time.Second {
			lastReport = time.Now()
			fmt.Printf("livepoll: %d of %d clients connected after %s%s\n", started.Load(), cfg.clients,
				time.Since(connectStart).Round(time.Second), firstErrors(cls))
		}
	}
	time.Sleep(time.Second) // let every first request park
	fmt.Printf("livepoll: %d clients connected\n", cfg.clients)

	srvBefore, _ := readProcs(pids)
	selfBefore, _ := readProc(os.Getpid())
	redisBefore := redisCPU(ctx, rc)
	deliveredBefore := totalDelivered(cls)
	begin := time.Now()
	seqs, appendErrs, last := appendItems()
	sent := int64(len(seqs))
	elapsed := time.Since(begin)
	deliveredDuring := totalDelivered(cls) - deliveredBefore
	srvAfter, _ := readProcs(pids)
	selfAfter, _ := readProc(os.Getpid())
	redisAfter := redisCPU(ctx, rc)

	// Let every client catch up to the last append, then stop them.
	deadline := time.Now().Add(cfg.settle)
	for time.Now().Before(deadline) && !allReached(cls, last) {
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	for _, c := range cls {
		c.cancel()
	}
	wg.Wait()

	var lats []time.Duration
	var lost, dup, resets, errs, behind int64
	samples := map[string]int{}
	for _, c := range cls {
		if c.firstErr != nil && len(samples) < 5 {
			samples[c.firstErr.Error()]++
		}
		lats = append(lats, c.lats...)
		for _, s := range seqs {
			if !c.seen[s] {
				lost++
			}
		}
		dup += c.dup
		resets += c.resets
		errs += c.errs
		if c.last < last {
			behind++
		}
	}
	slices.Sort(lats)
	fmt.Printf("appended: %d items in %s (%.1f/s), %d append errors, log head %d\n",
		sent, elapsed.Round(time.Millisecond), float64(sent)/elapsed.Seconds(), appendErrs, last)
	fmt.Printf("latency arrival→client: p50 %s  p90 %s  p99 %s  max %s  (%d deliveries)\n",
		pct(lats, 50), pct(lats, 90), pct(lats, 99), pct(lats, 100), len(lats))
	fmt.Printf("deliveries/s: %.0f\n", float64(deliveredDuring)/elapsed.Seconds())
	fmt.Printf("lost: %d  duplicated: %d  (clients behind at the end: %d, resets: %d, request errors: %d)\n",
		lost, dup, behind, resets, errs)
	for msg, n := range samples {
		fmt.Printf("  first error of %d clients: %s\n", n, msg)
	}
	if len(pids) > 0 {
		cpu := srvAfter.cpu - srvBefore.cpu
		fmt.Printf("server pids %v: RSS %d MiB (peak %d MiB), threads %d, CPU %.2f s over %s = %.0f%% of a core",
			pids, srvAfter.rssKB>>10, srvAfter.hwmKB>>10, srvAfter.threads, cpu, elapsed.Round(time.Millisecond), 100*cpu/elapsed.Seconds())
		if deliveredDuring > 0 {
			fmt.Printf(", %.4f CPU-s per 1,000 deliveries", 1000*cpu/float64(deliveredDuring))
		}
		fmt.Println()
	}
	fmt.Printf("load tool (this process): CPU %.2f s\n", selfAfter.cpu-selfBefore.cpu)
	if redisBefore >= 0 && redisAfter >= 0 {
		rcpu := redisAfter - redisBefore
		fmt.Printf("redis: CPU %.2f s", rcpu)
		if deliveredDuring > 0 && len(pids) > 0 {
			fmt.Printf(", server+redis %.4f CPU-s per 1,000 deliveries", 1000*(rcpu+srvAfter.cpu-srvBefore.cpu)/float64(deliveredDuring))
		}
		fmt.Println()
	}
	if lost != 0 || dup != 0 {
		return fmt.Errorf("%d entries lost and %d duplicated", lost, dup)
	}
	return nil
}

// appendLoop appends one item every 1/rate seconds for the duration. Each
// item carries its send time as ReceivedAt.
func appendLoop(ctx context.Context, cfg config, rlog *realtime.Log) (seqs []int64, errs int64, last int64) {
	run := fmt.Sprintf("%x", time.Now().UnixNano())
	interval := time.Duration(float64(time.Second) / cfg.rate)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	end := time.Now().Add(cfg.duration)
	for n := 0; time.Now().Before(end); n++ {
		<-tick.C
		now := time.Now()
		it := live.Item{ID: fmt.Sprintf("bench:%s-%d", run, n), Source: "bench", Kind: live.KindPost,
			Author: live.Author{Name: "bench"}, Text: "load test item", HTML: "load test item",
			Media: []live.Media{}, CreatedAt: now.UTC(), ReceivedAt: now.UTC()}
		res, err := rlog.AppendItem(ctx, cfg.eventID, it)
		if err != nil {
			errs++
			continue
		}
		seqs = append(seqs, res.Seq)
		last = res.Seq
	}
	return seqs, errs, last
}

// client is one simulated browser.
type client struct {
	cfg     config
	started *atomic.Int64
	cookie  string
	epoch   string
	since   int64
	ctx     context.Context
	cancel  context.CancelFunc

	// nchan's long-poll resume headers.
	nchanLastMod, nchanEtag string

	mu       sync.Mutex
	last     int64
	seen     map[int64]bool
	lats     []time.Duration
	dup      int64
	resets   int64
	errs     int64
	firstErr error
	count    int64
}

func newClient(cfg config, epoch string, head int64, started *atomic.Int64) *client {
	ctx, cancel := context.WithCancel(context.Background())
	return &client{cfg: cfg, started: started, epoch: epoch, since: head, last: head,
		seen: map[int64]bool{}, ctx: ctx, cancel: cancel}
}

// fail counts a failed request, keeping the first error.
func (c *client) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs++
	if c.firstErr == nil {
		c.firstErr = err
	}
}

// streaming says whether the client holds a stream open rather than polling.
func (c *client) streaming() bool { return c.cfg.mode == "sse" || c.cfg.mode == "centrifugo" }

// streamProto is how the client streams, by mode.
func (c *client) streamProto() streamProto {
	if c.cfg.mode == "centrifugo" {
		return centrifugoProto{c}
	}
	return sseProto{c}
}

// proto is how the client long-polls, by mode.
func (c *client) proto() pollProto {
	if c.cfg.mode == "nchan" {
		return nchanProto{c}
	}
	return liveProto{c}
}

// entry and page are the parts of live answers the bench reads.
type entry struct {
	Seq  int64      `json:"seq"`
	Item *entryItem `json:"item"`
}

type entryItem struct {
	Source     string    `json:"source"`
	ReceivedAt time.Time `json:"received_at"`
}

type page struct {
	Entries []entry `json:"entries"`
	Next    int64   `json:"next"`
	Reset   bool    `json:"reset"`
	Epoch   string  `json:"epoch"`
	Head    int64   `json:"head"`
}

// liveProto speaks the Live API's long poll.
type liveProto struct{ c *client }

func (p liveProto) request(buf []byte, host string) []byte {
	c := p.c
	buf = append(buf, "GET /api/events/"...)
	buf = append(buf, url.PathEscape(c.cfg.event)...)
	buf = append(buf, "/live?since="...)
	buf = strconv.AppendInt(buf, c.since, 10)
	buf = append(buf, "&epoch="...)
	buf = append(buf, url.QueryEscape(c.epoch)...)
	buf = append(buf, "&wait="...)
	buf = strconv.AppendInt(buf, int64(c.cfg.wait), 10)
	buf = append(buf, "&limit=500 HTTP/1.1\r\nHost: "...)
	buf = append(buf, host...)
	buf = append(buf, "\r\n"...)
	if c.cookie != "" {
		buf = append(buf, "Cookie: "+realtime.ClientCookie+"="...)
		buf = append(buf, c.cookie...)
		buf = append(buf, "\r\n"...)
	}
	return append(buf, "\r\n"...)
}

func (p liveProto) answer(a rawAnswer, at time.Time) error {
	c := p.c
	if c.cookie == "" && a.cookie != "" {
		c.cookie = a.cookie
	}
	if a.status != http.StatusOK {
		return fmt.Errorf("status %d: %s", a.status, strings.TrimSpace(string(a.body)))
	}
	pg, err := parsePage(a.body)
	if err != nil {
		return err
	}
	if pg.Reset {
		c.mu.Lock()
		c.resets++
		c.mu.Unlock()
		c.since, c.epoch = pg.Head, pg.Epoch
		return nil
	}
	c.record(pg.Entries, at)
	c.since = pg.Next
	return nil
}

// record checks order and duplicates and keeps the latency of each add.
func (c *client) record(es []entry, at time.Time) {
	for _, e := range es {
		var sent time.Time
		if e.Item != nil && e.Item.Source == "bench" {
			sent = e.Item.ReceivedAt
		}
		c.recordAt(e.Seq, sent, at)
	}
}

// recordAt records one entry received at at; sent is when it was appended
// (zero for entries the tool did not append).
func (c *client) recordAt(seq int64, sent, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen[seq] || seq <= c.last {
		c.dup++
		return
	}
	c.seen[seq] = true
	c.last = seq
	c.count++
	if !sent.IsZero() {
		c.lats = append(c.lats, at.Sub(sent))
	}
}

// firstErrors describes the first error of up to three clients that had one.
func firstErrors(cls []*client) string {
	var msgs []string
	for _, c := range cls {
		c.mu.Lock()
		if c.firstErr != nil && len(msgs) < 3 {
			msgs = append(msgs, c.firstErr.Error())
		}
		c.mu.Unlock()
	}
	if len(msgs) == 0 {
		return ""
	}
	return "; errors: " + strings.Join(msgs, " | ")
}

func totalDelivered(cls []*client) int64 {
	var n int64
	for _, c := range cls {
		c.mu.Lock()
		n += c.count
		c.mu.Unlock()
	}
	return n
}

func allReached(cls []*client, last int64) bool {
	for _, c := range cls {
		c.mu.Lock()
		l := c.last
		c.mu.Unlock()
		if l < last {
			return false
		}
	}
	return true
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	i = min(max(i-1, 0), len(sorted)-1)
	return sorted[i].Round(10 * time.Microsecond)
}

func lookupEventID(base, slug string) (int64, error) {
	resp, err := http.Get(base + "/api/events/" + url.PathEscape(slug))
	if err != nil {
		return 0, fmt.Errorf("look up event %q: %w", slug, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("look up event %q: status %d (pass -event-id)", slug, resp.StatusCode)
	}
	var ev struct {
		ID int64 `json:"id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ev); err != nil || ev.ID == 0 {
		return 0, errors.Join(fmt.Errorf("look up event %q: no id in the answer (pass -event-id)", slug), err)
	}
	return ev.ID, nil
}
