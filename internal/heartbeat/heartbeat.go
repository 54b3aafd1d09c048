package heartbeat

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/redis/rueidis"
)

// Timing: each process beats every Every; Read marks one silent for longer
// than Stale and forgets it after Forget.
const (
	Every  = 5 * time.Second
	Stale  = 15 * time.Second
	Forget = 10 * time.Minute
)

// Option configures Start.
type Option func(*config)

type config struct {
	version  string
	clients  func() int64
	interval time.Duration
	logger   *slog.Logger
}

// WithVersion records the binary's version in the heartbeat.
func WithVersion(v string) Option { return func(c *config) { c.version = v } }

// WithClients reports the waiting live clients of this node (e.g. the hub's
// waiting gauge); the dashboard shows them per node.
func WithClients(f func() int64) Option { return func(c *config) { c.clients = f } }

// WithInterval changes the beat interval (tests).
func WithInterval(d time.Duration) Option {
	return func(c *config) { c.interval = d }
}

// WithLogger sets the logger for write failures.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// procsKey is the sorted set of process ids by last beat.
func procsKey(ns string) string { return ns + "proc:all" }

func procKey(ns, id string) string { return ns + "proc:" + id }

// Start writes this process's heartbeat (role, host, pid, start time,
// memory, goroutines, version, live clients) to Redis now and every Every
// until ctx ends, then removes it. It returns at once.
func Start(ctx context.Context, client rueidis.Client, ns, role string, opts ...Option) {
	cfg := config{interval: Every, logger: slog.Default()}
	for _, o := range opts {
		o(&cfg)
	}
	host, _ := os.Hostname()
	started := time.Now()
	id := fmt.Sprintf("%s:%d:%d", host, os.Getpid(), started.UnixNano())
	beat := func(ctx context.Context) error {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		now := time.Now()
		clients := int64(-1)
		if cfg.clients != nil {
			clients = cfg.clients()
		}
		key := procKey(ns, id)
		res := client.DoMulti(ctx,
			client.B().Hset().Key(key).FieldValue().
				FieldValue("role", role).FieldValue("host", host).
				FieldValue("pid", strconv.Itoa(os.Getpid())).
				FieldValue("started_at", strconv.FormatInt(started.UnixMilli(), 10)).
				FieldValue("sys_bytes", strconv.FormatUint(ms.Sys, 10)).
				FieldValue("rss_bytes", strconv.FormatInt(rss(), 10)).
				FieldValue("goroutines", strconv.Itoa(runtime.NumGoroutine())).
				FieldValue("version", cfg.version).
				FieldValue("clients", strconv.FormatInt(clients, 10)).
				FieldValue("heartbeat", strconv.FormatInt(now.UnixMilli(), 10)).Build(),
			client.B().Pexpire().Key(key).Milliseconds(Forget.Milliseconds()).Build(),
			client.B().Zadd().Key(procsKey(ns)).ScoreMember().ScoreMember(float64(now.UnixMilli()), id).Build(),
		)
		for _, r := range res {
			if err := r.Error(); err != nil {
				return fmt.Errorf("heartbeat: write: %w", err)
			}
		}
		return nil
	}
	go func() {
		t := time.NewTicker(cfg.interval)
		defer t.Stop()
		for {
			bctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			if err := beat(bctx); err != nil && ctx.Err() == nil {
				cfg.logger.Warn("heartbeat failed", "err", err)
			}
			cancel()
			select {
			case <-ctx.Done():
				dctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				client.DoMulti(dctx, client.B().Del().Key(procKey(ns, id)).Build(),
					client.B().Zrem().Key(procsKey(ns)).Member(id).Build())
				cancel()
				return
			case <-t.C:
			}
		}
	}()
}

// rss returns the resident set size in bytes (Linux), or -1.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return -1
	}
	pages, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		return -1
	}
	return pages * int64(os.Getpagesize())
}

// Process is one process's last heartbeat, as Read returns it.
type Process struct {
	ID         string
	Role       string
	Host       string
	PID        string
	StartedAt  time.Time
	SysBytes   int64
	RSSBytes   int64
	Goroutines int64
	Version    string
	Clients    int64 // -1 when the process does not report any
	Heartbeat  time.Time
	Stale      bool
}

// Read returns the processes that beat within Forget of now, marking those
// silent for longer than Stale as stale.
func Read(ctx context.Context, client rueidis.Client, ns string, now time.Time) ([]Process, error) {
	cut := now.Add(-Forget).UnixMilli()
	if err := client.Do(ctx, client.B().Zremrangebyscore().Key(procsKey(ns)).Min("-inf").Max(strconv.FormatInt(cut, 10)).Build()).Error(); err != nil {
		return nil, fmt.Errorf("heartbeat: read: %w", err)
	}
	ids, err := client.Do(ctx, client.B().Zrange().Key(procsKey(ns)).Min("0").Max("-1").Build()).AsStrSlice()
	if err != nil {
		return nil, fmt.Errorf("heartbeat: read: %w", err)
	}
	out := make([]Process, 0, len(ids))
	for _, id := range ids {
		m, err := client.Do(ctx, client.B().Hgetall().Key(procKey(ns, id)).Build()).AsStrMap()
		if err != nil {
			return nil, fmt.Errorf("heartbeat: read process %s: %w", id, err)
		}
		if len(m) == 0 {
			continue
		}
		num := func(k string) int64 { n, _ := strconv.ParseInt(m[k], 10, 64); return n }
		p := Process{ID: id, Role: m["role"], Host: m["host"], PID: m["pid"], Version: m["version"],
			StartedAt: time.UnixMilli(num("started_at")), SysBytes: num("sys_bytes"), RSSBytes: num("rss_bytes"),
			Goroutines: num("goroutines"), Clients: num("clients"), Heartbeat: time.UnixMilli(num("heartbeat"))}
		if _, ok := m["clients"]; !ok {
			p.Clients = -1
		}
		p.Stale = now.Sub(p.Heartbeat) > Stale
		out = append(out, p)
	}
	return out, nil
}
