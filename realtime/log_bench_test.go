package realtime

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
)

// BenchmarkAppend measures appends of distinct items to one event's log, one
// caller at a time and from many goroutines; it reports items/s.
func BenchmarkAppend(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		r := redisEnvs(b)[0]
		l := NewLog(r.client, r.namespace)
		ctx := context.Background()
		it := testItem("x")
		b.ResetTimer()
		for i := range b.N {
			it.ID = fmt.Sprintf("mastodon:%d", i)
			if _, err := l.AppendItem(ctx, 1, it); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
	})
	b.Run("parallel", func(b *testing.B) {
		r := redisEnvs(b)[0]
		l := NewLog(r.client, r.namespace)
		ctx := context.Background()
		var n atomic.Int64
		b.SetParallelism(8)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			it := testItem("x")
			for pb.Next() {
				it.ID = fmt.Sprintf("mastodon:%d", n.Add(1))
				if _, err := l.AppendItem(ctx, 1, it); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
	})
}
