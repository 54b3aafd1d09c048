package sources

import (
	"context"
	"testing"
	"time"
)

// BenchmarkPollNotModified measures one poll task whose feed answers 304:
// the source row, the lease, the schedule, the cursor and rules, the
// conditional GET, the state and the release (Postgres, Redis, loopback HTTP).
func BenchmarkPollNotModified(b *testing.B) {
	h := newHarness(b)
	f, srv := newFakeFeed(b)
	src := h.addSource("feed", "feed:notes", map[string]any{"url": srv.URL + "/feed.atom", "every": "1ms"})
	opts := h.fastOptions("w:1")
	opts.CursorDelay = time.Millisecond
	m := NewManager(h.db.DB, h.rd.Client, h.log, opts)
	ctx := context.Background()
	if _, out, err := m.pollOnce(ctx, src.ID); err != nil || out != pollDone {
		b.Fatalf("first poll: %v %v", out, err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, out, err := m.pollOnce(ctx, src.ID); err != nil || out != pollDone {
			b.Fatalf("poll: %v %v", out, err)
		}
	}
	b.StopTimer()
	if _, nm, _ := f.counts(); nm < b.N {
		b.Fatalf("%d 304s for %d polls", nm, b.N)
	}
}

// BenchmarkProfileCached is the cost a Bluesky post pays for its author when
// the profile is in memory.
func BenchmarkProfileCached(b *testing.B) {
	m := NewManager(nil, nil, nil, ManagerOptions{})
	pr := m.profiles(DefaultProfileBase)
	pr.remember("did:plc:a", bskyProfile{Handle: "a.bsky.social", Name: "A"}, time.Hour)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p, ok := pr.cached("did:plc:a")
		if !ok {
			b.Fatal("miss")
		}
		_ = p.author("did:plc:a")
	}
}
