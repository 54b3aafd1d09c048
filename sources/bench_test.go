package sources

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/moderation"
	"github.com/backchannel/backchannel/realtime"
)

// BenchmarkNormalizeAppend measures items/s through parsing and normalizing
// a Mastodon status (sanitizer included) and a real AppendItem into Redis.
func BenchmarkNormalizeAppend(b *testing.B) {
	rd := testenv.NewRedis(b)
	log := realtime.NewLog(rd.Client, rd.Namespace)
	events, _, err := ParseSSE(bytes.NewReader(fixture(b, "mastodon_sse.txt")))
	if err != nil {
		b.Fatal(err)
	}
	data := events[0].Data
	ctx := context.Background()
	rules := moderation.Rules{}.WithWord("crypto").WithAuthor("@spam@bad.example")
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		it, _, err := ParseMastodonStatus(data, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		it.ID = "mastodon:bench-" + strconv.Itoa(i)
		rules.Apply(&it)
		if _, err := log.AppendItem(ctx, 1, it); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "items/s")
}

// BenchmarkNormalizeOnly is the CPU part alone (no Redis).
func BenchmarkNormalizeOnly(b *testing.B) {
	events, _, _ := ParseSSE(bytes.NewReader(fixture(b, "mastodon_sse.txt")))
	data := events[0].Data
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := ParseMastodonStatus(data, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
