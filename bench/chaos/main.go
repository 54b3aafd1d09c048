package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// options are the command's flags.
type options struct {
	items      int
	rate       float64
	clients    int
	duration   time.Duration
	nchan      bool
	rounds     int
	centrifugo bool
	scale      float64
	kills      int
	faults     string
	down       time.Duration
	cluster    bool
	bin        string
	data       string
	pgURL      string
	wait       int
	settle     time.Duration
	quiet      time.Duration
	keep       bool
	services   bool
	mode       string
	source     string
	// questions and voters: the audience's votes under the same faults
	// (bench/chaos/votes.go); -voters 0 leaves them out.
	questions int
	voters    int
}

func main() {
	var o options
	flag.IntVar(&o.items, "items", 100000, "items the fake upstreams emit (spread over the -source kinds)")
	flag.StringVar(&o.source, "source", "mastodon", "the upstreams to emit through: mastodon, bluesky, x or all (sources/fakes)")
	// 200/s: on one 2-core machine the checker's own 200 clients decode every
	// delivery (40,000 entries/s) beside two nodes, two workers, Redis and
	// Postgres; at 500/s the checker itself falls minutes behind.
	flag.Float64Var(&o.rate, "rate", 200, "statuses emitted per second")
	flag.IntVar(&o.clients, "clients", 200, "long-poll clients, spread over both web nodes")
	flag.DurationVar(&o.duration, "duration", 0, "emit for this long at -rate instead of -items (0: use -items)")
	flag.IntVar(&o.kills, "kills", 3, "kill -9 and restart each worker and each web node this many times")
	flag.StringVar(&o.faults, "faults", "worker,web,redis,postgres", "fault kinds to inject (comma-separated), or none")
	flag.DurationVar(&o.down, "down", time.Second, "how long a killed process stays down")
	flag.BoolVar(&o.cluster, "cluster", false, "use the local Redis Cluster of scripts/redis-cluster.sh (127.0.0.1:57001-57003)")
	flag.StringVar(&o.bin, "bin", "bin/backchannel", "the backchannel binary")
	flag.StringVar(&o.data, "data", ".data/chaos", "folder for Redis data, logs and the event file")
	flag.StringVar(&o.pgURL, "pg", "", "a shared Postgres cluster to use (a database of the run's own is created in it; the postgres fault restarts that whole cluster); empty: a cluster of the run's own under -data")
	flag.IntVar(&o.wait, "wait", 10, "long-poll wait of the clients, seconds")
	flag.DurationVar(&o.settle, "settle", 3*time.Minute, "how long to wait at the end for the log, strainer and clients to settle")
	flag.DurationVar(&o.quiet, "quiet", 20*time.Second, "a log head unchanged this long counts as settled")
	flag.BoolVar(&o.keep, "keep", false, "keep the run's database even after a clean run")
	flag.BoolVar(&o.services, "services", true, "run scripts/services.sh up first")
	flag.BoolVar(&o.nchan, "nchan", true, "load: also run the 1,000 and 10,000 client steps against nginx's nchan (scripts/nchan-deps.sh), the peer docs/ARCHITECTURE.md names, and bench/lpfloor, its protocol on bare fasthttp")
	flag.IntVar(&o.rounds, "rounds", 5, "load: rounds of the 1,000 and 10,000 long-poll steps after the budget steps, our node and nginx+nchan side by side in alternating order; the side-by-side table shows each one's median (one run's CPU figure moves by ±10–20 % on these machines)")
	flag.Float64Var(&o.scale, "scale", 1, "load: multiply every step's clients by this (0.02 checks the harness end to end in a minute; figures need 1)")
	flag.BoolVar(&o.centrifugo, "centrifugo", true, "load: also run the 1,000 and 10,000 stream steps against Centrifugo v6 (scripts/centrifugo.sh installs it), the peer of our SSE")
	flag.StringVar(&o.mode, "mode", "chaos", "chaos; load (bench/livepoll at 1,000, 10,000 and 19,000 clients against one fresh node; -duration per step, default 30s); soak (steady -clients at -rate for -duration, default 1000 clients, 5/s, 10m); profile (where a delivery's CPU goes: bench/liveserver, 1,000 long polls then 1,000 streams at 5/s)")
	flag.IntVar(&o.questions, "questions", 5, "audience questions asked before the emission")
	flag.IntVar(&o.voters, "voters", 200, "browsers voting on every question during the emission (0: no audience)")
	flag.Parse()
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.mode == "soak" {
		if !set["clients"] {
			o.clients = 1000
		}
		if !set["rate"] {
			o.rate = 5
		}
	}
	if o.mode == "chaos" && o.duration > 0 {
		o.items = int(o.duration.Seconds() * o.rate)
	}
	if o.items <= 0 || o.rate <= 0 || o.clients <= 0 {
		log.Fatal("chaos: -items, -rate and -clients must be positive")
	}
	closeInheritedFiles()
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	log.SetPrefix("[chaos] ")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, o)
	if err != nil {
		log.Print(err)
		if errors.Is(err, context.Canceled) {
			log.Print("interrupted; everything started was stopped")
		}
	}
	os.Exit(code)
}

// run is the whole experiment; its deferred calls stop everything it started.
// The exit code is 0 for a clean run, 1 for a failed check, 2 for a setup error.
func run(ctx context.Context, o options) (int, error) {
	root, err := os.Getwd()
	if err != nil {
		return 2, err
	}
	if _, err := os.Stat(o.bin); err != nil {
		return 2, fmt.Errorf("binary %s: %w (go build -o bin/backchannel ./cmd/backchannel)", o.bin, err)
	}
	bin, _ := filepath.Abs(o.bin)
	data, _ := filepath.Abs(o.data)
	logs := filepath.Join(data, "logs")
	_ = os.RemoveAll(logs)
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return 2, err
	}
	h := &harness{o: o, root: root, bin: bin, data: data, logs: logs}
	defer h.cleanup()
	switch o.mode {
	case "load":
		return runLoad(ctx, h)
	case "soak":
		return runSoak(ctx, h)
	case "profile":
		return runProfile(ctx, h)
	case "chaos":
	default:
		return 2, fmt.Errorf("-mode must be chaos, load, soak or profile, not %q", o.mode)
	}
	if err := h.setup(ctx); err != nil {
		return 2, err
	}
	if err := h.exercise(ctx); err != nil {
		return 2, err
	}
	return h.check(ctx)
}
