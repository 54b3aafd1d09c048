package views

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/backchannel/backchannel/live"
)

// BenchmarkEventLiveRender measures the server side of the live page's first
// render for a default snapshot of 50 items (budget: p99 ≤ 30 ms).
func BenchmarkEventLiveRender(b *testing.B) {
	for _, n := range []int{50, 500} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			items := make([]live.Item, n)
			for i := range items {
				items[i] = testItem(int64(i+1), "p", "A post about the keynote with a link.")
				items[i].HTML = `<p>A post about the <a href="https://example.org" rel="nofollow noopener">keynote</a>.</p>`
			}
			ev := testEvent()
			b.ReportAllocs()
			for b.Loop() {
				vm := NewEventVM(ev, LiveSnapshot{Items: items, Epoch: "e", Head: int64(n)}, testNow)
				if err := EventLive(vm).Render(context.Background(), io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWallRender includes the QR code's encoding.
func BenchmarkWallRender(b *testing.B) {
	ev := testEvent()
	for b.Loop() {
		vm := NewWallVM(ev, LiveSnapshot{}, "https://backchannel.example", testNow)
		if err := Wall(vm).Render(context.Background(), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
