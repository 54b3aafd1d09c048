package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/backchannel/backchannel/internal/pgcluster"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	eventSlug = "chaos"
	tag       = "chaosfest"
)

// harness holds everything one run started.
type harness struct {
	o                     options
	root, bin, data, logs string

	pg *pgAdmin
	// pgc is the run's own Postgres cluster (nil with -pg: a shared one).
	pgc     *pgcluster.Cluster
	dbName  string
	dbURL   string
	edb     *eventDB
	eventID int64

	redis     *proc
	redisAddr string
	redisURL  string
	prefix    string

	fake    *upstreams
	env     []string
	webs    []*proc
	nodes   []string
	workers []*proc

	clients    []*client
	stopClient context.CancelFunc
	clientsWG  sync.WaitGroup
	lat        histogram

	faultLog []string
	settled  time.Duration
	failed   bool

	votes *voteRun // nil without -voters
}

// setup starts everything the chaos run needs: stores, the fake instance,
// the event and two web nodes and two workers.
func (h *harness) setup(ctx context.Context) error {
	if err := h.setupStores(ctx); err != nil {
		return err
	}
	kinds, err := sourceKinds(h.o.source)
	if err != nil {
		return err
	}
	if h.fake, err = newUpstreams(kinds, h.o.items, h.o.rate); err != nil {
		return err
	}
	h.env = append(h.env, "OUTBOUND_ALLOW_PRIVATE="+h.fake.Host())
	log.Printf("fake upstreams %s (%s): %d items at %.0f/s", h.fake.URL(), strings.Join(kinds, ", "), h.o.items, h.o.rate)
	if err := h.setupEvent(ctx, h.eventYAML()); err != nil {
		return err
	}
	if err := h.startWebs(ctx, 2); err != nil {
		return err
	}
	for i := range 2 {
		// A stable identity per worker, as a deployment gives it (WORKER_ID):
		// a killed worker that comes back reclaims its source at once.
		env := append(append([]string(nil), h.env...), fmt.Sprintf("WORKER_ID=chaos-worker-%d", i))
		w := newProc(fmt.Sprintf("worker-%d", i), h.logs, h.root, env, h.bin, "worker")
		h.workers = append(h.workers, w)
		if err := w.start(); err != nil {
			return err
		}
	}
	log.Printf("web nodes %s; 2 workers; event %s (id %d); logs in %s", strings.Join(h.nodes, " "), eventSlug, h.eventID, h.logs)
	return nil
}

// setupStores starts the local services, creates the run's database and
// starts its Redis (or joins the cluster), and sets the children's environment.
func (h *harness) setupStores(ctx context.Context) error {
	if h.o.services {
		if err := runOnce(ctx, filepath.Join(h.logs, "services.log"), h.root, os.Environ(), "bash", "scripts/services.sh", "up"); err != nil {
			return err
		}
	}
	pgURL := h.o.pgURL
	if pgURL == "" {
		// A cluster of the run's own: the postgres fault crashes it, and
		// must not crash the shared server that tests and other runs use.
		dir := filepath.Join(h.data, "pg-"+randomHex(4))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		c, err := pgcluster.Init(dir)
		if err != nil {
			_ = os.RemoveAll(dir)
			return err
		}
		h.pgc = c
		if err := c.Start(); err != nil {
			return err
		}
		pgURL = c.AdminURL
		log.Printf("postgres of the run's own on port %d (%s)", c.Port, dir)
	}
	var err error
	if h.pg, err = openPG(ctx, pgURL); err != nil {
		return err
	}
	h.dbName = "bc_chaos_" + randomHex(4)
	if h.dbURL, err = h.pg.createDB(ctx, h.dbName); err != nil {
		return err
	}
	log.Printf("database %s", h.dbName)
	if h.edb, err = openEventDB(h.dbURL); err != nil {
		return err
	}

	if h.o.cluster {
		if _, err := os.Stat(filepath.Join(h.root, "scripts/redis-cluster.sh")); err != nil {
			return fmt.Errorf("-cluster: scripts/redis-cluster.sh is missing")
		}
		if err := runOnce(ctx, filepath.Join(h.logs, "redis-cluster.log"), h.root, os.Environ(), "bash", "scripts/redis-cluster.sh", "up"); err != nil {
			return err
		}
		h.redisURL = "127.0.0.1:57001,127.0.0.1:57002,127.0.0.1:57003"
		h.prefix = "chaos" + randomHex(3) + ":"
		log.Printf("redis cluster %s, key prefix %s", h.redisURL, h.prefix)
	} else {
		if h.redis, h.redisAddr, err = newRedis(filepath.Join(h.data, "redis-"+h.dbName), h.logs); err != nil {
			return err
		}
		if err := h.redis.start(); err != nil {
			return err
		}
		if err := waitUntil(ctx, 10*time.Second, "redis", func() bool { return redisPing(h.redisAddr) }); err != nil {
			return err
		}
		h.redisURL = "redis://" + h.redisAddr + "/0"
		log.Printf("redis %s (AOF everysec, data %s)", h.redisAddr, filepath.Join(h.data, "redis-"+h.dbName))
	}

	h.env = append(os.Environ(),
		"BACKCHANNEL_ENV=development",
		"DATABASE_URL="+h.dbURL,
		"REDIS_URL="+h.redisURL,
		"REDIS_PREFIX="+h.prefix,
		"DATA_DIR="+filepath.Join(h.data, "app"),
		"RATE_LIMIT_HISTORY=1000000/min",
		"RATE_LIMIT_POSTS=1000/min",
		"RATE_LIMIT_QUESTIONS=1000000/min",
		"RATE_LIMIT_VOTES=1000000/min",
		// Every client of a run comes from 127.0.0.1: the per-address
		// ceiling on waiting requests (2,000 by default) would refuse the
		// load steps' 10,000 and 19,000.
		"MAX_WAITS_PER_ADDRESS=0",
		"LOG_LEVEL=info",
		"MASTODON_TOKEN=chaos-token",
		"X_BEARER_TOKEN=chaos-token",
	)
	return nil
}

// setupEvent migrates the run's database and applies the event file.
func (h *harness) setupEvent(ctx context.Context, eventYAML string) error {
	var err error
	cmdLog := filepath.Join(h.logs, "commands.log")
	if err := runOnce(ctx, cmdLog, h.root, h.env, h.bin, "migrate", "up"); err != nil {
		return err
	}
	eventFile := filepath.Join(h.data, "event.yaml")
	if err := os.WriteFile(eventFile, []byte(eventYAML), 0o644); err != nil {
		return err
	}
	if err := runOnce(ctx, cmdLog, h.root, h.env, h.bin, "event", "apply", "-f", eventFile); err != nil {
		return err
	}
	if h.eventID, err = h.edb.eventID(ctx, eventSlug); err != nil {
		return fmt.Errorf("event %s: %w", eventSlug, err)
	}
	return nil
}

// startWebs starts n web nodes on spare ports and waits for their /healthz.
func (h *harness) startWebs(ctx context.Context, n int) error {
	for i := range n {
		port, err := freePort()
		if err != nil {
			return err
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		env := append(append([]string(nil), h.env...), "HTTP_ADDR="+addr, "BASE_URL=http://"+addr)
		h.webs = append(h.webs, newProc(fmt.Sprintf("web-%d", i), h.logs, h.root, env, h.bin, "serve"))
		h.nodes = append(h.nodes, "http://"+addr)
	}
	for i, w := range h.webs {
		if err := w.start(); err != nil {
			return err
		}
		if err := h.waitWeb(ctx, i); err != nil {
			return err
		}
	}
	return nil
}

func (h *harness) eventYAML() string {
	now := time.Now().UTC()
	start, end := now.Add(-time.Hour), now.Add(24*time.Hour)
	return fmt.Sprintf(`slug: %s
title: Chaos under fire
timezone: UTC
starts_at: %s
ends_at: %s
posting: closed
moderation: after
%ssources:
%s`, eventSlug, start.Format(time.RFC3339), end.Format(time.RFC3339), sessionYAML(start, end), h.fake.sourcesYAML())
}

// waitWeb waits for web node i's /healthz.
func (h *harness) waitWeb(ctx context.Context, i int) error {
	c := &http.Client{Timeout: time.Second}
	return waitUntil(ctx, 60*time.Second, h.webs[i].name, func() bool {
		resp, err := c.Get(h.nodes[i] + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// exercise runs the clients, the emission and the faults, then waits for
// everything to settle.
func (h *harness) exercise(ctx context.Context) error {
	cctx, cancel := context.WithCancel(context.Background())
	h.stopClient = cancel
	clk := &clock{fake: h.fake, lat: &h.lat}
	for i := range h.o.clients {
		c := newClient(i, h.nodes, eventSlug, h.o.items, clk)
		h.clients = append(h.clients, c)
		h.clientsWG.Add(1)
		go func() {
			defer h.clientsWG.Done()
			c.run(cctx, h.o.wait)
		}()
	}
	log.Printf("%d long-poll clients started (wait %ds)", h.o.clients, h.o.wait)

	emitDone := make(chan error, 1)
	go func() { emitDone <- h.fake.emit(ctx, 2*time.Second) }()
	select {
	case <-h.fake.connected:
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(60 * time.Second):
		return fmt.Errorf("the workers did not connect to every fake upstream within 60s (see %s/worker-*.log)", h.logs)
	}
	log.Printf("the workers connected to every upstream; emitting in 2s")
	if h.o.voters > 0 && h.o.questions > 0 {
		vr, err := h.askQuestions(ctx)
		if err != nil {
			return err
		}
		h.votes = vr
		go h.runVoters(ctx, vr, time.Duration(float64(h.o.items)/h.o.rate*float64(time.Second)))
	}

	faultsDone := make(chan error, 1)
	go func() { faultsDone <- h.runFaults(ctx) }()
	progress := time.NewTicker(10 * time.Second)
	defer progress.Stop()
	var emitErr error
wait:
	for {
		select {
		case emitErr = <-emitDone:
			break wait
		case <-progress.C:
			n, _ := h.fake.state()
			if head, _, err := h.head(); err != nil {
				log.Printf("emitted %d/%d, log head unknown: %v", n, h.o.items, err)
			} else {
				log.Printf("emitted %d/%d, log head %d", n, h.o.items, head)
			}
		}
	}
	if emitErr != nil {
		return emitErr
	}
	log.Printf("all %d items emitted in %s", h.o.items, time.Duration(h.fake.finished.Load()-h.fake.started.Load()).Round(time.Millisecond))
	if err := <-faultsDone; err != nil {
		return err
	}
	if h.votes != nil {
		<-h.votes.done
	}
	return h.settle(ctx)
}

// head reads the live log's head and epoch through a web node.
func (h *harness) head() (int64, string, error) {
	c := &http.Client{Timeout: 20 * time.Second}
	var last error
	for _, n := range h.nodes {
		resp, err := c.Get(n + "/api/events/" + eventSlug + "/live?limit=1")
		if err != nil {
			last = err
			continue
		}
		var p livePage
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			last = fmt.Errorf("%s: status %d: %v", n, resp.StatusCode, err)
			continue
		}
		return p.Head, p.Epoch, nil
	}
	return 0, "", last
}

// settle waits until the log holds every item (or its head stopped moving
// for -quiet), the strainer caught up with it, and every client reached it.
func (h *harness) settle(ctx context.Context) error {
	start := time.Now()
	deadline := start.Add(h.o.settle)
	var lastHead int64 = -1
	lastMove := time.Now()
	for {
		head, epoch, err := h.head()
		if err == nil && head != lastHead {
			lastHead, lastMove = head, time.Now()
		}
		_, strained, serr := h.edb.strainerCursor(ctx, h.eventID)
		caughtUp := err == nil && serr == nil && strained >= head
		// With the audience the head counts its entries too: wait for quiet.
		full := h.votes == nil && head >= int64(h.o.items)
		if caughtUp && (full || time.Since(lastMove) >= h.o.quiet) {
			log.Printf("log settled: head %d (epoch %s), strainer at %d", head, epoch, strained)
			break
		}
		if time.Now().After(deadline) {
			log.Printf("settle timed out after %s: head %d (err %v), strainer %d (err %v)", h.o.settle, head, err, strained, serr)
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	head, epoch, _ := h.head()
	behind := 0
	err := waitUntil(ctx, max(time.Until(deadline), 30*time.Second), "clients", func() bool {
		behind = 0
		for _, c := range h.clients {
			if e, s := c.position(); e != epoch || s < head {
				behind++
			}
		}
		return behind == 0
	})
	if err != nil && ctx.Err() != nil {
		return err
	}
	if behind > 0 {
		log.Printf("%d clients still behind the head %d", behind, head)
	}
	h.settled = time.Since(start)
	h.stopClients()
	return nil
}

func (h *harness) stopClients() {
	if h.stopClient != nil {
		h.stopClient()
		h.clientsWG.Wait()
		h.stopClient = nil
	}
}

// cleanup stops everything the run started, whatever happened.
func (h *harness) cleanup() {
	h.stopClients()
	var wg sync.WaitGroup
	for _, p := range append(append([]*proc(nil), h.webs...), h.workers...) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = p.kill(syscall.SIGTERM, 15*time.Second)
		}()
	}
	wg.Wait()
	if h.redis != nil {
		_ = h.redis.kill(syscall.SIGTERM, 5*time.Second)
	}
	if h.fake != nil {
		h.fake.close()
	}
	if h.edb != nil {
		h.edb.db.Close()
	}
	if h.pg != nil {
		if h.dbName != "" {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if h.failed || h.o.keep {
				log.Printf("kept database %s for inspection (DROP DATABASE %s WITH (FORCE) when done)", h.dbName, h.dbName)
			} else if err := h.pg.dropDB(ctx, h.dbName); err != nil {
				log.Printf("drop database %s: %v", h.dbName, err)
			}
			cancel()
		}
		h.pg.db.Close()
	}
	if h.pgc != nil {
		if h.failed || h.o.keep {
			_ = h.pgc.Stop("fast")
			log.Printf("kept the run's Postgres cluster in %s (its log: %s)", h.pgc.Dir, h.pgc.Log())
		} else if err := h.pgc.Remove(); err != nil {
			log.Printf("remove the run's Postgres: %v", err)
		}
	}
	if h.redis != nil && !h.failed && !h.o.keep {
		_ = os.RemoveAll(filepath.Join(h.data, "redis-"+h.dbName))
	}
}
