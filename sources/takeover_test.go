package sources

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/realtime"
)

// killed stops a manager like kill -9: no lease release, no last cursor or
// state write, no more heartbeats.
func killed(m *Manager, stop func()) {
	m.abandon.Store(true)
	stop()
}

// TestStandbyTakesOverFromADeadWorkerByItsHeartbeatNotItsLease runs with the
// production heartbeat intervals and an hour-long lease: the only way the
// standby can take the source is by noticing that the holder's heartbeat
// stopped. The measured time is logged (docs/ARCHITECTURE.md, data path
// step 1, states the bound: NodeTTL plus one TakeoverCheckEvery).
func TestStandbyTakesOverFromADeadWorkerByItsHeartbeatNotItsLease(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	src := h.addSource("replay", "replay", map[string]any{"every": "20ms"})
	prod := func(holder string) ManagerOptions {
		o := h.fastOptions(holder)
		o.NodeTTL, o.NodeBeatEvery, o.TakeoverCheckEvery = 0, 0, 0 // the defaults
		o.LeaseTTL, o.AcquireEvery = time.Hour, time.Hour
		return o
	}
	a := NewManager(h.db.DB, h.rd.Client, h.log, prod("worker-a"))
	stopA := h.start(a)
	h.waitState("a holds the source", src.ID, func(s State) bool { return s.Holder == "worker-a" && s.ItemsTotal >= 3 })
	b := NewManager(h.db.DB, h.rd.Client, h.log, prod("worker-b"))
	h.start(b)
	time.Sleep(3 * b.opts.NodeTTL) // b has long seen a as the holder
	before := countAdds(h.entries())
	died := time.Now()
	killed(a, stopA)
	h.waitState("b takes over", src.ID, func(s State) bool { return s.Holder == "worker-b" && s.ItemsTotal > int64(before) })
	t.Logf("standby appended again %s after the holder died (NodeTTL %s, TakeoverCheckEvery %s, lease 1h)",
		time.Since(died).Round(time.Millisecond), b.opts.NodeTTL, b.opts.TakeoverCheckEvery)
	es := h.waitFor("b appends more", func(es []live.Entry) bool { return countAdds(es) >= before+5 })
	assertExactlyOnce(t, es, replayIDs(src.ID, countAdds(es))...)
}

// TestRestartedWorkerReclaimsItsSourcesAtOnce: with an hour-long heartbeat
// and lease nothing could free the source but the restarted worker's own
// identity.
func TestRestartedWorkerReclaimsItsSourcesAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	src := h.addSource("replay", "replay", map[string]any{"every": "20ms"})
	slow := func(holder string) ManagerOptions {
		o := h.fastOptions(holder)
		o.NodeTTL, o.LeaseTTL = time.Hour, time.Hour
		return o
	}
	a := NewManager(h.db.DB, h.rd.Client, h.log, slow("worker-a"))
	stopA := h.start(a)
	h.waitState("a holds the source", src.ID, func(s State) bool { return s.Holder == "worker-a" && s.ItemsTotal >= 3 })
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, slow("worker-b")))
	killed(a, stopA)
	before := countAdds(h.entries())
	time.Sleep(500 * time.Millisecond)
	if st := h.state(src.ID); st.Holder != "worker-a" {
		t.Fatalf("a standby took the source from a worker whose heartbeat has an hour to run: %+v", st)
	}
	restarted := time.Now()
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, slow("worker-a")))
	h.waitFor("the restarted worker appends again", func(es []live.Entry) bool { return countAdds(es) >= before+5 })
	t.Logf("the restarted worker appended again %s after it started", time.Since(restarted).Round(time.Millisecond))
	es := h.entries()
	assertExactlyOnce(t, es, replayIDs(src.ID, countAdds(es))...)
}

// TestASecondProcessWithTheSameIdentitySupersedesTheFirstWithoutAFight: the
// newest incarnation wins; the older one carries on under a fresh identity.
func TestASecondProcessWithTheSameIdentitySupersedesTheFirstWithoutAFight(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	src := h.addSource("replay", "replay", map[string]any{"every": "20ms"})
	a := NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w"))
	h.start(a)
	h.waitState("a holds the source", src.ID, func(s State) bool { return s.ItemsTotal >= 3 })
	twin := NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w"))
	h.start(twin)
	eventually(t, "the first process gives the identity up", func() bool {
		id, _ := a.node.identity()
		return id != "w"
	})
	before := countAdds(h.entries())
	es := h.waitFor("items keep coming", func(es []live.Entry) bool { return countAdds(es) >= before+10 })
	assertExactlyOnce(t, es, replayIDs(src.ID, countAdds(es))...)
	holder, _, err := leaseHolder(context.Background(), h.rd.Client, h.k().lease(src.ID))
	if err != nil {
		t.Fatal(err)
	}
	if id, inc, _ := holderNode(holder); id != "w" || inc != twin.node.inc {
		t.Errorf("lease held by %q, want the newest incarnation of w", holder)
	}
}

func (h *harness) k() keys { return keys{ns: h.rd.Namespace} }

// TestAFencedZombieCannotSaveItsCursorOrStateOverItsSuccessors: a holder
// that missed its takeover (a paused process) wakes up and tries to write.
func TestAFencedZombieCannotSaveItsCursorOrStateOverItsSuccessors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	src := models.Source{ID: 41, EventID: h.eventID, Kind: "replay"}
	zm := NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("zombie"))
	zm.opts.CursorDelay = 0
	key := zm.k.lease(src.ID)
	zc := zm.node.claim("")
	got, err := takeLease(ctx, h.rd.Client, key, zc, time.Hour)
	if err != nil || got.fence == 0 {
		t.Fatalf("zombie takes the lease: %+v %v", got, err)
	}
	zombie := newRunner(zm, src, zc.token)
	zombie.fence = got.fence
	zombie.checkpoint("100")
	if err := zombie.flushCursor(ctx); err != nil {
		t.Fatalf("the holder saves its cursor: %v", err)
	}

	// The zombie's heartbeat is gone: a standby proves it and takes over.
	sm := NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("successor"))
	sm.opts.CursorDelay = 0
	alive, err := sm.node.alive(ctx, []string{zc.token})
	if err != nil || alive[zc.token] {
		t.Fatalf("a zombie that never beat counts as alive: %v %v", alive, err)
	}
	sc := sm.node.claim(zc.token)
	took, err := takeLease(ctx, h.rd.Client, key, sc, time.Hour)
	if err != nil || took.fence <= got.fence || took.holder != zc.token {
		t.Fatalf("successor takes over: %+v %v", took, err)
	}
	successor := newRunner(sm, src, sc.token)
	successor.fence = took.fence
	successor.checkpoint("200")
	if err := successor.flushCursor(ctx); err != nil {
		t.Fatal(err)
	}
	if err := successor.writeState(ctx, true); err != nil {
		t.Fatal(err)
	}

	// The zombie wakes up with a newer cursor of its own.
	zombie.checkpoint("300")
	if err := zombie.flushCursor(ctx); !errors.Is(err, errLeaseFenced) {
		t.Errorf("zombie's cursor save: %v, want errLeaseFenced", err)
	}
	zombie.st.ItemsTotal = 999
	if err := zombie.writeState(ctx, true); !errors.Is(err, errLeaseFenced) {
		t.Errorf("zombie's state write: %v, want errLeaseFenced", err)
	}
	if ok, err := extendLease(ctx, h.rd.Client, key, zc.token, time.Hour); ok || err != nil {
		t.Errorf("zombie extends the lease: %v %v", ok, err)
	}
	if err := releaseLease(ctx, h.rd.Client, key, zc.token); err != nil {
		t.Fatal(err)
	}
	cur, err := h.rd.Client.Do(ctx, h.rd.Client.B().Hget().Key(key).Field("cursor").Build()).ToString()
	if err != nil || cur != "200" {
		t.Errorf("cursor %q (%v), want the successor's 200", cur, err)
	}
	if holder, _, _ := leaseHolder(ctx, h.rd.Client, key); holder != sc.token {
		t.Errorf("the zombie's release freed the successor's lease: holder %q", holder)
	}
	if st := h.state(src.ID); st.ItemsTotal == 999 || st.Holder != "successor" {
		t.Errorf("state %+v shows the zombie", st)
	}
}

// TestAWorkerWhoseHeartbeatIsUnconfirmedDoesNotAppend: a runner appends only
// while its node's heartbeat is confirmed; a paused or cut-off worker may
// already have been replaced.
func TestAWorkerWhoseHeartbeatIsUnconfirmedDoesNotAppend(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	opts := h.fastOptions("cut-off")
	opts.NodeTTL = 200 * time.Millisecond
	opts.AppendRetryFor = 300 * time.Millisecond
	m := NewManager(h.db.DB, h.rd.Client, h.log, opts)
	r := newRunner(m, models.Source{ID: 5, EventID: h.eventID, Kind: "replay"}, "t")
	r.needsNode = true
	it := live.Item{ID: "replay:5-1", Source: "replay", Kind: live.KindPost, Text: "late", CreatedAt: time.Now()}
	if err := r.add(ctx, it); !errors.Is(err, errNodeUnconfirmed) {
		t.Fatalf("append without a heartbeat: %v, want errNodeUnconfirmed", err)
	}
	if n := countAdds(h.entries()); n != 0 {
		t.Fatalf("%d items appended", n)
	}
	if err := m.node.register(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.add(ctx, it); err != nil {
		t.Fatalf("append with a confirmed heartbeat: %v", err)
	}
	if n := countAdds(h.entries()); n != 1 {
		t.Fatalf("%d items appended, want 1", n)
	}
}

// TestACleanStopWithdrawsTheHeartbeat: a stopping worker releases its leases
// and deletes its heartbeat, so nobody waits for it.
func TestACleanStopWithdrawsTheHeartbeat(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	opts := h.fastOptions("leaving")
	opts.NodeTTL = time.Hour
	m := NewManager(h.db.DB, h.rd.Client, h.log, opts)
	stop := h.start(m)
	key := m.k.node("leaving")
	eventually(t, "heartbeat written", func() bool {
		n, err := h.rd.Client.Do(context.Background(), h.rd.Client.B().Exists().Key(key).Build()).AsInt64()
		return err == nil && n == 1
	})
	stop()
	_, err := h.rd.Client.Do(context.Background(), h.rd.Client.B().Get().Key(key).Build()).ToString()
	if !rueidis.IsRedisNil(err) {
		t.Errorf("heartbeat still there after a clean stop (%v)", err)
	}
}

// TestARedisRestartCostsNoReconnect: appends wait for Redis to come back
// instead of dropping the stream and backing off on top of the downtime.
// (With AppendRetryFor at 1ms the same run counts several reconnects.)
func TestARedisRestartCostsNoReconnect(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	srv := testenv.StartRedisServer(t)
	rc, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srv.Addr}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rc.Close)
	h.rd = &testenv.Redis{Client: rc, Namespace: "restart:"}
	h.log = realtime.NewLog(rc, "restart:")
	src := h.addSource("replay", "replay", map[string]any{"every": "20ms"})
	h.start(NewManager(h.db.DB, rc, h.log, h.fastOptions("w")))
	h.waitState("items flow", src.ID, func(s State) bool { return s.ItemsTotal >= 5 && s.Connected })
	srv.Stop(t)
	time.Sleep(time.Second)
	srv.Start(t)
	before := h.state(src.ID)
	es := h.waitFor("items flow again", func(es []live.Entry) bool { return countAdds(es) >= int(before.ItemsTotal)+10 })
	assertExactlyOnce(t, es, replayIDs(src.ID, countAdds(es))...)
	if st := h.state(src.ID); st.Reconnects != 0 {
		t.Errorf("%d reconnects: the Redis restart cost the runner its connection (%s)", st.Reconnects, st.LastError)
	}
}

// TestAHeartbeatThatLapsesForAMomentDoesNotMoveTheSource: after a Redis
// stall every heartbeat may have run out at once; a live holder refreshes
// within NodeBeatEvery, and standbys wait for a second look before taking
// over, so a live worker keeps its sources.
func TestAHeartbeatThatLapsesForAMomentDoesNotMoveTheSource(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	src := h.addSource("replay", "replay", map[string]any{"every": "20ms"})
	prod := func(holder string) ManagerOptions {
		o := h.fastOptions(holder)
		o.NodeTTL, o.NodeBeatEvery, o.TakeoverCheckEvery = 0, 0, 0 // the defaults
		return o
	}
	a := NewManager(h.db.DB, h.rd.Client, h.log, prod("holder"))
	h.start(a)
	h.waitState("a holds the source", src.ID, func(s State) bool { return s.Holder == "holder" && s.ItemsTotal >= 3 })
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, prod("standby")))
	time.Sleep(time.Second)
	ctx := context.Background()
	for range 4 {
		// The holder's heartbeat vanishes, as it does when Redis stalls
		// past its TTL; the holder writes it again at its next beat.
		if err := h.rd.Client.Do(ctx, h.rd.Client.B().Del().Key(a.k.node("holder")).Build()).Error(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if st := h.state(src.ID); st.Holder != "holder" {
		t.Errorf("the source moved to %q from a live holder", st.Holder)
	}
}
