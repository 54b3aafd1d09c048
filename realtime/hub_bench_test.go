package realtime

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkHubFanOut parks 1,000 (and 10,000) waiters on one hub and appends one item at a
// time, each delivered to every waiter before the next: it reports
// deliveries/s and the arrival → delivery latency (append call to the
// waiter's answer) at p50/p99.
func BenchmarkHubFanOut(b *testing.B) {
	for _, waiters := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("waiters=%d", waiters), func(b *testing.B) { benchFanOut(b, waiters, 1) })
		b.Run(fmt.Sprintf("waiters=%d/burst=10", waiters), func(b *testing.B) { benchFanOut(b, waiters, 10) })
	}
}

func benchFanOut(b *testing.B, waiters, burst int) {
	r := redisEnvs(b)[0]
	l := NewLog(r.client, r.namespace)
	h := startHub(b, r.client, l, nil, HubOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := h.Poll(ctx, 1, "", 0, 10, 0); err != nil {
		b.Fatal(err)
	}
	var delivered atomic.Int64
	lats := make([][]time.Duration, waiters) // one slice per waiter: no shared lock
	var wg sync.WaitGroup
	for w := range waiters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var since int64
			for ctx.Err() == nil {
				p, err := h.Poll(ctx, 1, "", since, 100, 30*time.Second)
				if err != nil {
					return
				}
				now := time.Now()
				for _, e := range p.Entries {
					lats[w] = append(lats[w], now.Sub(e.Item.ReceivedAt))
				}
				delivered.Add(int64(len(p.Entries)))
				since = p.Next
			}
		}()
	}
	waitFor(b, func() bool { return testutilGauge(h.metrics) == float64(waiters) })
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for i := range b.N {
		for j := range burst {
			it := testItem(fmt.Sprintf("%d-%d", i, j))
			it.ReceivedAt = time.Now()
			if _, err := l.AppendItem(ctx, 1, it); err != nil {
				b.Fatal(err)
			}
		}
		want := int64((i + 1) * burst * waiters)
		for delivered.Load() < want {
			time.Sleep(50 * time.Microsecond)
		}
	}
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	cancel()
	wg.Wait()
	var lat []time.Duration
	for _, l := range lats {
		lat = append(lat, l...)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(delivered.Load())/elapsed.Seconds(), "deliveries/s")
	// CPU per delivery is what the machine's other load does not distort.
	b.ReportMetric(cpu.Seconds()*1e6/float64(max(delivered.Load(), 1)), "cpu-µs/delivery")
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
