package realtime

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/backchannel/backchannel/internal/testenv"
)

func TestLimiterAllowsTheCountThenRefusesWithRetryAfter(t *testing.T) {
	rds := testenv.NewRedis(t)
	l := NewLimiter(rds.Client, rds.Namespace)
	ctx := context.Background()
	rate := RateLimit{Count: 3, Period: time.Minute}
	for i := 0; i < 3; i++ {
		ok, _, err := l.Allow(ctx, "posts:a", rate)
		if err != nil || !ok {
			t.Fatalf("request %d: ok=%v err=%v, want allowed", i+1, ok, err)
		}
	}
	ok, retry, err := l.Allow(ctx, "posts:a", rate)
	if err != nil || ok {
		t.Fatalf("4th request: ok=%v err=%v, want refused", ok, err)
	}
	if retry <= 0 || retry > 20*time.Second {
		t.Fatalf("retry after %v, want about one interval (20s)", retry)
	}
	if ok, _, _ := l.Allow(ctx, "posts:b", rate); !ok {
		t.Fatal("another key was refused")
	}
	n, err := rds.Client.Do(ctx, rds.Client.B().Exists().Key(rds.Namespace+"limit:posts:a").Build()).AsInt64()
	if err != nil || n != 1 {
		t.Fatalf("limit key not under the namespace: n=%d err=%v", n, err)
	}
}

func TestLimiterRefillsAfterTheInterval(t *testing.T) {
	rds := testenv.NewRedis(t)
	l := NewLimiter(rds.Client, rds.Namespace)
	ctx := context.Background()
	rate := RateLimit{Count: 2, Period: 200 * time.Millisecond}
	for i := 0; i < 2; i++ {
		if ok, _, _ := l.Allow(ctx, "k", rate); !ok {
			t.Fatalf("request %d refused", i+1)
		}
	}
	ok, retry, _ := l.Allow(ctx, "k", rate)
	if ok {
		t.Fatal("3rd request allowed")
	}
	time.Sleep(retry + 20*time.Millisecond)
	if ok, _, err := l.Allow(ctx, "k", rate); !ok || err != nil {
		t.Fatalf("after waiting %v: ok=%v err=%v", retry, ok, err)
	}
}

func TestAllowClientTakesFromBothOrNeither(t *testing.T) {
	rds := testenv.NewRedis(t)
	l := NewLimiter(rds.Client, rds.Namespace)
	ctx := context.Background()
	rate, ceiling := RateLimit{Count: 1, Period: time.Minute}, RateLimit{Count: 2, Period: time.Minute}
	if ok, _, err := l.AllowClient(ctx, "history", "greedy", "10.0.0.1", rate, ceiling); !ok || err != nil {
		t.Fatalf("first request: ok=%v err=%v", ok, err)
	}
	for range 5 { // refused for the client: must not spend the address's ceiling
		if ok, retry, _ := l.AllowClient(ctx, "history", "greedy", "10.0.0.1", rate, ceiling); ok || retry <= 0 {
			t.Fatalf("greedy client allowed again (retry %v)", retry)
		}
	}
	if ok, _, _ := l.AllowClient(ctx, "history", "polite", "10.0.0.1", rate, ceiling); !ok {
		t.Fatal("a neighbour was refused: refused requests ate the ceiling")
	}
	ok, retry, _ := l.AllowClient(ctx, "history", "third", "10.0.0.1", rate, ceiling)
	if ok || retry <= 0 {
		t.Fatalf("ceiling of 2 let a third client through (retry %v)", retry)
	}
	if ok, _, _ := l.AllowClient(ctx, "history", "third", "10.0.0.2", rate, ceiling); !ok {
		t.Fatal("another address was refused")
	}
}

func TestWaitersAreBoundedPerClient(t *testing.T) {
	w := newWaiters(2)
	var a []*waitSlot
	for i := range 2 {
		s := w.acquire("a", nil)
		if s == nil {
			t.Fatalf("slot %d refused", i+1)
		}
		a = append(a, s)
	}
	if w.acquire("a", nil) != nil {
		t.Fatal("third slot granted")
	}
	if w.acquire("a", a[0]) != nil {
		t.Fatal("third slot granted through a hint")
	}
	b := w.acquire("b", a[0]) // a hint for another key is not taken
	if b == nil || b == a[0] {
		t.Fatalf("other client: got %p, a's slot %p", b, a[0])
	}
	w.release(a[0])
	if s := w.acquire("a", nil); s != a[0] {
		t.Fatal("released slot not reusable")
	}
	w.release(a[0])
	w.release(a[1])
	w.release(b)
	if w.keys() != 0 || w.count("a") != 0 || w.count("b") != 0 {
		t.Fatalf("counts leak: %d keys, a %d, b %d", w.keys(), w.count("a"), w.count("b"))
	}
}

func TestIdleWaitSlotsAreSweptAndTheirHintsLookedUpAgain(t *testing.T) {
	w := newWaiters(1)
	held := w.acquire("held", nil)
	first := w.acquire("k0", nil)
	w.release(first)
	for i := 1; i < 8*minSweep; i++ {
		w.release(w.acquire(fmt.Sprintf("k%d", i), nil))
	}
	// A key goes once it has been idle through a whole sweep interval.
	if n := len(w.slots); n > 3*minSweep {
		t.Fatalf("%d keys in the map after %d idle ones: idle keys are not swept", n, 8*minSweep)
	}
	if w.count("held") != 1 || w.keys() != 1 {
		t.Fatalf("a sweep touched a held slot: held %d, keys %d", w.count("held"), w.keys())
	}
	if !first.swept {
		t.Fatal("the first idle key was never swept")
	}
	again := w.acquire("k0", first)
	if again == nil || again == first {
		t.Fatalf("a swept hint was used (%p, hint %p)", again, first)
	}
	if w.acquire("k0", nil) != nil {
		t.Fatal("the key found again is not the one counted: a second slot was granted")
	}
	w.release(again)
	w.release(held)
	if w.keys() != 0 {
		t.Fatalf("%d keys hold slots after every release", w.keys())
	}
}

func TestUnboundedWaitersHandOutSlotsWithoutCounting(t *testing.T) {
	w := newWaiters(0)
	for range 3 {
		s := w.acquire("a", nil)
		if s == nil {
			t.Fatal("an unbounded waiter refused a slot")
		}
		w.release(s)
	}
	if len(w.slots) != 0 {
		t.Fatalf("an unbounded waiter counts keys: %d", len(w.slots))
	}
}

func TestSlotsIdleOnlyBetweenPollsAreNotSwept(t *testing.T) {
	w := newWaiters(1)
	const browsers = 4 * minSweep
	first := make([]*waitSlot, browsers)
	held := make([]*waitSlot, browsers)
	for round := range 5 {
		// A post answers every browser at once (all slots idle), then
		// each polls again with its connection's hint.
		for i := range held {
			s := w.acquire(fmt.Sprintf("b%d", i), held[i])
			if s == nil {
				t.Fatalf("round %d: browser %d refused", round, i)
			}
			if round == 0 {
				first[i] = s
			} else if s != first[i] {
				t.Fatalf("round %d: browser %d's slot was swept and made again", round, i)
			}
			held[i] = s
		}
		for _, s := range held {
			w.release(s)
		}
	}
}
