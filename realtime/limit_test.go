package realtime

import (
	"context"
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
	for i := range 2 {
		if !w.acquire("a") {
			t.Fatalf("slot %d refused", i+1)
		}
	}
	if w.acquire("a") {
		t.Fatal("third slot granted")
	}
	if !w.acquire("b") {
		t.Fatal("other client refused")
	}
	w.release("a")
	if !w.acquire("a") {
		t.Fatal("released slot not reusable")
	}
	w.release("a")
	w.release("a")
	w.release("b")
	if len(w.n) != 0 {
		t.Fatalf("counts leak: %v", w.n)
	}
}
