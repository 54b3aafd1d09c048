package realtime

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/live"
)

// startHub runs a hub on client until the test ends and waits for its subscription.
func startHub(t testing.TB, client rueidis.Client, l *Log, archive Archive, opts HubOptions) *Hub {
	t.Helper()
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics(nil)
	}
	h := NewHub(client, l, archive, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = h.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case <-h.Subscribed():
	case <-time.After(10 * time.Second):
		t.Fatal("hub did not subscribe")
	}
	return h
}

func appendN(t testing.TB, l *Log, ev int64, prefix string, n int) {
	t.Helper()
	for i := range n {
		if _, err := l.AppendItem(context.Background(), ev, testItem(fmt.Sprintf("%s%d", prefix, i))); err != nil {
			t.Fatal(err)
		}
	}
}

func seqs(es []live.Entry) []int64 {
	out := make([]int64, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	return out
}

// follow polls like a client until it has seen head `want`, checking that
// every public entry arrives exactly once and in order. next picks the hub
// of each poll (several nodes, no stickiness).
func follow(ctx context.Context, ev int64, want int64, limit int, next func() *Hub, private map[int64]bool) error {
	var since int64
	epoch := ""
	for since < want {
		p, err := next().Poll(ctx, ev, epoch, since, limit, 5*time.Second)
		if err != nil {
			return fmt.Errorf("poll since %d: %w", since, err)
		}
		if p.Reset {
			return fmt.Errorf("unexpected reset at since %d (head %d)", since, p.Head)
		}
		if epoch == "" {
			epoch = p.Epoch
		}
		if len(p.Entries) != len(p.Raw) {
			return fmt.Errorf("page has %d entries and %d raw", len(p.Entries), len(p.Raw))
		}
		last := since
		for _, e := range p.Entries {
			if e.Seq <= last {
				return fmt.Errorf("seq %d after %d: out of order or repeated", e.Seq, last)
			}
			for s := last + 1; s < e.Seq; s++ {
				if !private[s] {
					return fmt.Errorf("seq %d skipped (got %d after %d)", s, e.Seq, last)
				}
			}
			if private[e.Seq] {
				return fmt.Errorf("private entry %d delivered", e.Seq)
			}
			last = e.Seq
		}
		if p.Next < last {
			return fmt.Errorf("next %d behind the last entry %d", p.Next, last)
		}
		since = p.Next
	}
	return nil
}

func TestPollAnswersAtOnceWithTheEntriesAfterSince(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		h := startHub(t, env.client, l, nil, HubOptions{})
		appendN(t, l, 1, "a", 5)
		p, err := h.Poll(ctx, 1, "", 1, 3, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if got := seqs(p.Entries); fmt.Sprint(got) != "[2 3 4]" || p.Next != 4 || !p.More || p.Head != 5 || p.Served != ServedMemory {
			t.Fatalf("page = %v next %d more %v head %d served %s", got, p.Next, p.More, p.Head, p.Served)
		}
		if string(p.Raw[0]) == "" || p.Epoch == "" {
			t.Fatalf("page lacks raw JSON or epoch: %+v", p)
		}
	})
}

func TestLongPollAnswersAtDeadlineWithNoEntries(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		h := startHub(t, env.client, l, nil, HubOptions{})
		appendN(t, l, 1, "a", 2)
		p, err := h.Poll(ctx, 1, "", 2, 10, 50*time.Millisecond)
		if err != nil || len(p.Entries) != 0 || p.Next != 2 || p.Reset {
			t.Fatalf("page at deadline = %+v, %v; want empty with next 2", p, err)
		}
	})
}

func TestWaitingPollIsWokenByAnAppend(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		h := startHub(t, env.client, l, nil, HubOptions{})
		got := make(chan Page, 1)
		go func() {
			p, _ := h.Poll(ctx, 4, "", 0, 10, 30*time.Second)
			got <- p
		}()
		waitFor(t, func() bool { return testutilGauge(h.metrics) == 1 })
		appendN(t, l, 4, "a", 1)
		p := <-got
		if len(p.Entries) != 1 || p.Entries[0].Seq != 1 || p.Next != 1 {
			t.Fatalf("woken page = %+v", p)
		}
	})
}

func TestManyConcurrentPollersReceiveEveryEntryExactlyOnceInOrder(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		h := startHub(t, env.client, l, nil, HubOptions{Window: 64})
		const appenders, perAppender, pollers = 4, 75, 40
		total := int64(appenders * perAppender)
		var wg sync.WaitGroup
		errs := make(chan error, pollers+appenders)
		for i := range pollers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := follow(ctx, 2, total, 1+i%9, func() *Hub { return h }, nil); err != nil {
					errs <- fmt.Errorf("poller %d: %w", i, err)
				}
			}()
		}
		for a := range appenders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range perAppender {
					if _, err := l.AppendItem(ctx, 2, testItem(fmt.Sprintf("%d-%d", a, j))); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func TestHubsOfSeveralNodesEachDeliverTheFullSequence(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		var hubs []*Hub
		for range 3 {
			c := env.newClient(t)
			hubs = append(hubs, startHub(t, c, NewLog(c, env.namespace), nil, HubOptions{Window: 50}))
		}
		const total = 200
		private := map[int64]bool{}
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var pick func() *Hub
				if i < 9 {
					pick = func() *Hub { return hubs[i%3] } // a client of one node
				} else {
					pick = func() *Hub { return hubs[rand.IntN(3)] } // behind a balancer without stickiness
				}
				if err := follow(ctx, 3, total, 5, pick, private); err != nil {
					errs <- fmt.Errorf("poller %d: %w", i, err)
				}
			}()
		}
		appendN(t, l, 3, "n", total)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func TestALoneEntryWakesWaitersAtOnce(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		// A batch window longer than the test: only a wake-up on the
		// window's leading edge answers in time.
		h := startHub(t, env.client, l, nil, HubOptions{Batch: time.Hour})
		if _, err := h.Poll(ctx, 6, "", 0, 10, 0); err != nil { // load the window
			t.Fatal(err)
		}
		got := make(chan Page, 1)
		go func() {
			p, _ := h.Poll(ctx, 6, "", 0, 100, 30*time.Second)
			got <- p
		}()
		waitFor(t, func() bool { return testutilGauge(h.metrics) == 1 })
		appendN(t, l, 6, "a", 1)
		select {
		case p := <-got:
			if len(p.Entries) != 1 {
				t.Fatalf("a lone entry woke the waiter with %v", seqs(p.Entries))
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a lone entry waited for the batch window")
		}
	})
}

func TestABurstIsGatheredIntoOneWakeUpAfterTheFirstEntry(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		h := startHub(t, env.client, l, nil, HubOptions{Batch: 500 * time.Millisecond})
		if _, err := h.Poll(ctx, 6, "", 0, 10, 0); err != nil { // load the window
			t.Fatal(err)
		}
		poll := func(since int64) chan Page {
			got := make(chan Page, 1)
			go func() {
				p, _ := h.Poll(ctx, 6, "", since, 100, 30*time.Second)
				got <- p
			}()
			waitFor(t, func() bool { return testutilGauge(h.metrics) == 1 })
			return got
		}
		got := poll(0)
		appendN(t, l, 6, "b", 1)
		first := <-got
		if len(first.Entries) != 1 {
			t.Fatalf("the burst's first entry woke the waiter with %v", seqs(first.Entries))
		}
		// The rest of the burst lands within the window opened by the first
		// wake-up: one wake-up at its end answers all of it.
		got = poll(first.Next)
		appendN(t, l, 6, "c", 9)
		if p := <-got; len(p.Entries) != 9 {
			t.Fatalf("the rest of a burst of 10 woke the waiter with %v", seqs(p.Entries))
		}
	})
}

func TestHiddenAndHeldItemsAreNotDeliveredButAdvanceNext(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		h := startHub(t, env.client, l, nil, HubOptions{Window: 4})
		hidden, held := testItem("h"), testItem("p")
		hidden.Hidden, held.Held = true, true
		for _, it := range []live.Item{testItem("1"), hidden, held} {
			if _, err := l.AppendItem(ctx, 8, it); err != nil {
				t.Fatal(err)
			}
		}
		p, err := h.Poll(ctx, 8, "", 1, 10, 20*time.Millisecond)
		if err != nil || len(p.Entries) != 0 || p.Next != 3 {
			t.Fatalf("page after private adds = %v next %d, %v; want none, next 3", seqs(p.Entries), p.Next, err)
		}
		if _, err := l.AppendOp(ctx, 8, live.OpUnhide, 3, &held); err != nil {
			t.Fatal(err)
		}
		p, _ = h.Poll(ctx, 8, "", 1, 10, 5*time.Second)
		if len(p.Entries) != 1 || p.Entries[0].Op != live.OpUnhide || p.Entries[0].Target != 3 {
			t.Fatalf("page after approval = %+v", p.Entries)
		}
		appendN(t, l, 8, "more", 6) // push the private adds out of the window: read from Redis
		// The hub hears of appends through its subscription, a moment later.
		waitFor(t, func() bool { p, _ := h.Poll(ctx, 8, "", 9, 10, 0); return len(p.Entries) == 1 })
		p, _ = h.Poll(ctx, 8, "", 0, 10, 0)
		if p.Served != ServedRedis || fmt.Sprint(seqs(p.Entries)) != "[1 4 5 6 7 8 9 10]" {
			t.Fatalf("history page = %v served %s", seqs(p.Entries), p.Served)
		}
	})
}

func TestWrongEpochOrSinceBeyondHeadResets(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		h := startHub(t, env.client, l, nil, HubOptions{})
		appendN(t, l, 10, "a", 3)
		epoch, _, _ := l.Head(ctx, 10)
		for _, c := range []struct {
			epoch string
			since int64
		}{{"other", 1}, {epoch, 4}, {"", 99}} {
			p, err := h.Poll(ctx, 10, c.epoch, c.since, 10, time.Second)
			if err != nil || !p.Reset || p.Epoch != epoch || p.Head != 3 {
				t.Fatalf("poll epoch %q since %d = %+v, %v; want reset at head 3", c.epoch, c.since, p, err)
			}
		}
		if p, _ := h.Poll(ctx, 10, epoch, 3, 10, 0); p.Reset {
			t.Fatal("poll at the head with the right epoch reset")
		}
	})
}

func TestSinceOlderThanTheWindowIsServedFromRedis(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		m := NewMetrics(nil)
		h := startHub(t, env.client, l, nil, HubOptions{Window: 5, Metrics: m})
		appendN(t, l, 12, "a", 20)
		if _, err := h.Poll(ctx, 12, "", 20, 10, 0); err != nil {
			t.Fatal(err)
		}
		if h.InMemory(12, 2) || !h.InMemory(12, 15) || !h.InMemory(12, 20) || h.InMemory(12, 21) {
			t.Fatal("InMemory disagrees with a window of 5 at head 20")
		}
		p, err := h.Poll(ctx, 12, "", 2, 4, time.Second)
		if err != nil || p.Served != ServedRedis || fmt.Sprint(seqs(p.Entries)) != "[3 4 5 6]" || p.Next != 6 || !p.More {
			t.Fatalf("page = %v next %d more %v served %s, %v", seqs(p.Entries), p.Next, p.More, p.Served, err)
		}
	})
}

func TestSteadyStatePollsCostNoRedisCommands(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		m := NewMetrics(nil)
		h := startHub(t, env.client, l, nil, HubOptions{Metrics: m})
		appendN(t, l, 14, "a", 1)
		if _, err := h.Poll(ctx, 14, "", 0, 10, 0); err != nil {
			t.Fatal(err)
		}
		before := counterValue(m.HubRedisCommands)
		if err := func() error {
			done := make(chan error, 1)
			go func() { done <- follow(ctx, 14, 51, 10, func() *Hub { return h }, nil) }()
			appendN(t, l, 14, "b", 50)
			return <-done
		}(); err != nil {
			t.Fatal(err)
		}
		if after := counterValue(m.HubRedisCommands); after != before {
			t.Fatalf("50 live polls cost %v Redis commands, want 0", after-before)
		}
		if counterValue(m.Deliveries) < 50 {
			t.Fatalf("deliveries = %v, want at least 50", counterValue(m.Deliveries))
		}
	})
}

func TestAGapOnTheSubscriptionIsFilledBeforeWaiting(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		h := startHub(t, env.client, l, nil, HubOptions{})
		appendN(t, l, 16, "a", 1)
		if _, err := h.Poll(ctx, 16, "", 1, 10, 0); err != nil {
			t.Fatal(err)
		}
		// seq 2 is appended but its publish is lost (sent to a channel nobody hears).
		b := `"id":"mastodon:lost","source":"mastodon","kind":"post","author":{"name":"A"},"text":"","html":"","media":[],"created_at":"2026-05-24T09:00:00Z","received_at":"2026-05-24T09:00:00Z","pinned":false}`
		if err := appendScript.Exec(ctx, env.client, l.keys(16), []string{live.OpAdd, "mastodon:lost", b, "1", env.namespace + "nowhere", "x"}).Error(); err != nil {
			t.Fatal(err)
		}
		appendN(t, l, 16, "c", 1) // seq 3 arrives: the hub must fetch 2 first
		p, err := h.Poll(ctx, 16, "", 1, 10, 5*time.Second)
		if err != nil || fmt.Sprint(seqs(p.Entries)) != "[2 3]" {
			t.Fatalf("page after a lost publish = %v, %v; want [2 3]", seqs(p.Entries), err)
		}
	})
}

func TestALostTailGivesTheLogANewEpochAndResetsClients(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		h := startHub(t, env.client, l, nil, HubOptions{})
		appendN(t, l, 18, "a", 5)
		p, err := h.Poll(ctx, 18, "", 0, 10, 0)
		if err != nil || p.Next != 5 {
			t.Fatalf("first page = %+v, %v", p, err)
		}
		old := p.Epoch
		// Redis comes back without its last two appends (as after a crash with AOF everysec).
		k := l.keys(18)
		kept, err := l.rangeRaw(ctx, 18, 0, 3)
		if err != nil {
			t.Fatal(err)
		}
		cmds := []rueidis.Completed{
			env.client.B().Set().Key(k[0]).Value("3").Build(),
			env.client.B().Del().Key(k[3]).Build(),
			env.client.B().Hdel().Key(k[2]).Field("mastodon:a3", "mastodon:a4").Build(),
		}
		for _, r := range kept {
			cmds = append(cmds, env.client.B().Xadd().Key(k[3]).Id(fmt.Sprintf("%d-0", r.Seq)).FieldValue().FieldValue("e", string(r.raw)).Build())
		}
		for _, c := range cmds {
			if err := env.client.Do(ctx, c).Error(); err != nil {
				t.Fatal(err)
			}
		}
		appendN(t, l, 18, "z", 1) // reuses seq 4 for another item
		waitFor(t, func() bool { e, _, _ := l.Head(ctx, 18); return e != old })
		p, err = h.Poll(ctx, 18, old, 5, 10, 5*time.Second)
		if err != nil || !p.Reset || p.Epoch == old {
			t.Fatalf("poll with the old epoch = %+v, %v; want a reset to a new epoch", p, err)
		}
		p, err = h.Poll(ctx, 18, p.Epoch, 0, 10, 0)
		if err != nil || fmt.Sprint(seqs(p.Entries)) != "[1 2 3 4]" || p.Entries[3].Item.ID != "mastodon:z0" {
			t.Fatalf("page in the new epoch = %+v, %v", p.Entries, err)
		}
	})
}

func TestDrainAnswersWaitersAndRefusesNewPolls(t *testing.T) {
	r := redisEnvs(t)[0]
	ctx := testCtx(t)
	l := NewLog(r.client, r.namespace)
	h := startHub(t, r.client, l, nil, HubOptions{})
	appendN(t, l, 20, "a", 1)
	got := make(chan Page, 1)
	go func() {
		p, _ := h.Poll(ctx, 20, "", 1, 10, time.Minute)
		got <- p
	}()
	waitFor(t, func() bool { return testutilGauge(h.metrics) == 1 })
	h.Drain()
	if p := <-got; len(p.Entries) != 0 || p.Next != 1 {
		t.Fatalf("drained waiter answered %+v", p)
	}
	if _, err := h.Poll(ctx, 20, "", 1, 10, time.Minute); !errors.Is(err, ErrDraining) {
		t.Fatalf("poll while draining: %v, want ErrDraining", err)
	}
}

func TestSnapshotGivesTheNewestPublicItemsAndTheHead(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		h := startHub(t, env.client, l, nil, HubOptions{})
		s, err := h.Snapshot(ctx, 22, 10)
		if err != nil || len(s.Items) != 0 || s.Head != 0 || s.Epoch == "" {
			t.Fatalf("snapshot of an empty log = %+v, %v", s, err)
		}
		appendN(t, l, 22, "a", 4)
		if _, err := l.AppendOp(ctx, 22, live.OpHide, 4, nil); err != nil {
			t.Fatal(err)
		}
		s, err = h.Snapshot(ctx, 22, 2)
		if err != nil || len(s.Items) != 2 || s.Items[0].Seq != 2 || s.Items[1].Seq != 3 || s.Head != 5 {
			t.Fatalf("snapshot = %+v, %v; want items 2 and 3 at head 5", s, err)
		}
	})
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not met within 10s")
}

func TestHubsFollowEventsOnEveryNodeOfACluster(t *testing.T) {
	env := requireCluster(t)
	ctx := testCtx(t)
	l := NewLog(env.client, env.namespace)
	hubs := []*Hub{startHub(t, env.newClient(t), l, nil, HubOptions{}), startHub(t, env.newClient(t), l, nil, HubOptions{})}
	events := []int64{101, 102, 103, 104, 105, 106, 107, 108} // hash tags spread over the three masters
	const total = 40
	var wg sync.WaitGroup
	errs := make(chan error, 2*len(events)+len(events))
	for _, ev := range events {
		for _, h := range hubs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := follow(ctx, ev, total, 3, func() *Hub { return h }, nil); err != nil {
					errs <- fmt.Errorf("event %d: %w", ev, err)
				}
			}()
		}
	}
	for _, ev := range events {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range total {
				if _, err := l.AppendItem(ctx, ev, testItem(fmt.Sprint(i))); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestIdleWindowsAreDroppedButNeverUnderAWaiter(t *testing.T) {
	r := redisEnvs(t)[0]
	ctx := testCtx(t)
	l := NewLog(r.client, r.namespace)
	h := startHub(t, r.client, l, nil, HubOptions{})
	appendN(t, l, 24, "a", 1)
	got := make(chan Page, 1)
	go func() {
		p, _ := h.Poll(ctx, 24, "", 1, 10, 30*time.Second)
		got <- p
	}()
	waitFor(t, func() bool { return testutilGauge(h.metrics) == 1 })
	h.evictIdle(time.Now().Add(time.Hour))
	if !h.InMemory(24, 1) {
		t.Fatal("a window with a waiter was dropped")
	}
	appendN(t, l, 24, "b", 1)
	if p := <-got; fmt.Sprint(seqs(p.Entries)) != "[2]" {
		t.Fatalf("waiter got %v", seqs(p.Entries))
	}
	h.evictIdle(time.Now().Add(time.Hour))
	if h.InMemory(24, 2) {
		t.Fatal("an idle window was kept")
	}
	appendN(t, l, 24, "c", 1)
	p, err := h.Poll(ctx, 24, "", 2, 10, time.Second)
	if err != nil || fmt.Sprint(seqs(p.Entries)) != "[3]" || !h.InMemory(24, 3) {
		t.Fatalf("poll after eviction = %v, %v", seqs(p.Entries), err)
	}
}

func TestAWindowPolledSinceTheLastSweepIsKeptUntilIdleAfterPasses(t *testing.T) {
	r := redisEnvs(t)[0]
	ctx := testCtx(t)
	l := NewLog(r.client, r.namespace)
	h := startHub(t, r.client, l, nil, HubOptions{})
	appendN(t, l, 25, "a", 1)
	if _, err := h.Poll(ctx, 25, "", 0, 10, 0); err != nil {
		t.Fatal(err)
	}
	h.evictIdle(time.Now().Add(-time.Minute)) // takes the marks so far
	ev := h.lookup(25)
	ev.lastUsed.Store(0) // as if the last sweep had dated it long ago
	if _, err := h.Poll(ctx, 25, "", 0, 10, 0); err != nil {
		t.Fatal(err)
	}
	// The sweep that first sees the poll dates it now: a cutoff a minute
	// back keeps the window, twice over.
	for range 2 {
		h.evictIdle(time.Now().Add(-time.Minute))
		if !h.InMemory(25, 1) {
			t.Fatal("a window polled since the last sweep was dropped")
		}
	}
	h.evictIdle(time.Now().Add(time.Hour))
	if h.InMemory(25, 1) {
		t.Fatal("a window nobody polled since the last sweep was kept past its cutoff")
	}
}
