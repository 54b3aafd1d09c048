package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// fault is one kind of crash and its target (a worker or web node index).
type fault struct {
	kind   string // worker, web, redis, postgres
	target int
}

func (f fault) String() string {
	switch f.kind {
	case "worker", "web":
		return fmt.Sprintf("%s-%d", f.kind, f.target)
	}
	return f.kind
}

// schedule lists the faults in the order they strike: each worker and web
// node killed -kills times, interleaved, with Redis a third of the way in
// and Postgres two thirds.
func (h *harness) schedule() []fault {
	kinds := map[string]bool{}
	for _, k := range strings.Split(h.o.faults, ",") {
		kinds[strings.TrimSpace(k)] = true
	}
	var list []fault
	for range h.o.kills {
		for i := range 2 {
			if kinds["worker"] {
				list = append(list, fault{"worker", i})
			}
			if kinds["web"] {
				list = append(list, fault{"web", i})
			}
		}
	}
	insert := func(at int, f fault) {
		at = min(at, len(list))
		list = append(list[:at], append([]fault{f}, list[at:]...)...)
	}
	if kinds["redis"] {
		if h.o.cluster {
			log.Print("redis fault skipped on a cluster (restarting a cluster node is not done here)")
		} else {
			insert(len(list)/3, fault{"redis", 0})
		}
	}
	if kinds["postgres"] {
		insert(len(list)*2/3+1, fault{"postgres", 0})
	}
	return list
}

// runFaults strikes the scheduled faults evenly over the expected emission time.
func (h *harness) runFaults(ctx context.Context) error {
	list := h.schedule()
	if len(list) == 0 {
		return nil
	}
	<-waitStarted(ctx, h.fake)
	start := time.Unix(0, h.fake.started.Load())
	span := time.Duration(float64(h.o.items) / h.o.rate * float64(time.Second))
	for k, f := range list {
		at := start.Add(span * time.Duration(k+1) / time.Duration(len(list)+1))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Until(at)):
		}
		t0 := time.Now()
		if err := h.strike(ctx, &f); err != nil {
			return fmt.Errorf("fault %s: %w", f, err)
		}
		line := fmt.Sprintf("t=%6.1fs %-9s down+back in %s", t0.Sub(start).Seconds(), f, time.Since(t0).Round(10*time.Millisecond))
		h.faultLog = append(h.faultLog, line)
		log.Print("fault: " + line)
	}
	return nil
}

func waitStarted(ctx context.Context, f *upstreams) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		for f.started.Load() == 0 && ctx.Err() == nil {
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return ch
}

// strike causes one fault and waits until the victim is back.
func (h *harness) strike(ctx context.Context, f *fault) error {
	pause := func() {
		select {
		case <-ctx.Done():
		case <-time.After(h.o.down):
		}
	}
	switch f.kind {
	case "worker":
		// Killing the worker that runs the source is the fault that
		// matters; a standby's death changes nothing.
		if i := h.holder(); i >= 0 {
			f.target = i
		}
		p := h.workers[f.target]
		if err := p.kill(syscall.SIGKILL, 0); err != nil {
			return err
		}
		pause()
		return p.start()
	case "web":
		p := h.webs[f.target]
		if err := p.kill(syscall.SIGKILL, 0); err != nil {
			return err
		}
		pause()
		if err := p.start(); err != nil {
			return err
		}
		return h.waitWeb(ctx, f.target)
	case "redis":
		if err := h.redis.kill(syscall.SIGKILL, 0); err != nil {
			return err
		}
		pause()
		if err := h.redis.start(); err != nil {
			return err
		}
		return waitUntil(ctx, 30*time.Second, "redis", func() bool { return redisPing(h.redisAddr) })
	case "postgres":
		if h.pgc == nil {
			return h.pg.restartImmediate(ctx, filepath.Join(h.logs, "postgres-restart.log"))
		}
		if err := h.pgc.Stop("immediate"); err != nil {
			return err
		}
		pause()
		return h.pgc.Start()
	}
	return fmt.Errorf("unknown fault kind %q", f.kind)
}

// holder returns the worker whose runner holds the source's lease now: the
// one whose log shows "runner started" after its latest start and no stop
// since; -1 when none does.
func (h *harness) holder() int {
	for i, w := range h.workers {
		b, err := os.ReadFile(w.log)
		if err != nil {
			continue
		}
		s := string(b)
		if j := strings.LastIndex(s, "===== chaos: start"); j >= 0 {
			s = s[j:]
		}
		if k := strings.LastIndex(s, "sources: runner started"); k >= 0 && !strings.Contains(s[k:], "sources: runner stopped") {
			return i
		}
	}
	return -1
}
