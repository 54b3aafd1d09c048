package jobs

import (
	"context"
	"testing"
	"time"
)

// BenchmarkStrainer measures items strained into Postgres per second, in
// batches of 2,000 from a real live log.
func BenchmarkStrainer(b *testing.B) {
	e := newEnv(b)
	s := e.strainer(StrainerOptions{KeepInRedis: 1 << 40})
	const per = 10000
	next := 1
	var strained int
	var spent time.Duration
	for b.Loop() {
		b.StopTimer()
		for range per {
			e.append(item(next))
			next++
		}
		b.StartTimer()
		start := time.Now()
		n, err := s.StrainEvent(context.Background(), e.ev.ID)
		if err != nil {
			b.Fatal(err)
		}
		spent += time.Since(start)
		strained += n
	}
	b.ReportMetric(float64(strained)/spent.Seconds(), "items/s")
}
