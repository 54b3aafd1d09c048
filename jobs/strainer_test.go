package jobs

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/backchannel/backchannel/archive/stamp"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

func TestStrainerKilledMidBatchThenRerunStoresEveryItemExactlyOnce(t *testing.T) {
	e := newEnv(t)
	e.appendN(5000)
	s := e.strainer(StrainerOptions{Batch: 2000})
	crash := errors.New("worker killed")
	batches := 0
	s.hookAfterInsert = func(int64) error {
		batches++
		if batches == 2 {
			return crash
		}
		return nil
	}
	n, err := s.StrainEvent(context.Background(), e.ev.ID)
	if !errors.Is(err, crash) {
		t.Fatalf("first run: err = %v, want the injected crash", err)
	}
	if n != 2000 || e.cursor() != 2000 || len(e.items()) != 2000 {
		t.Fatalf("after crash: n=%d cursor=%d items=%d, want the first batch only", n, e.cursor(), len(e.items()))
	}
	s.hookAfterInsert = nil
	if _, err := s.StrainEvent(context.Background(), e.ev.ID); err != nil {
		t.Fatalf("rerun: %v", err)
	}
	its := e.items()
	if len(its) != 5000 {
		t.Fatalf("items = %d, want 5000", len(its))
	}
	for i, it := range its {
		if it.Seq != int64(i+1) || it.ExternalID != item(i + 1).ID[len("mastodon:"):] {
			t.Fatalf("row %d is seq %d id %s", i, it.Seq, it.ExternalID)
		}
	}
	if c := e.cursor(); c != 5000 {
		t.Fatalf("cursor = %d, want 5000", c)
	}
}

func TestStrainerCancelledMidTransactionLosesAndDuplicatesNothing(t *testing.T) {
	e := newEnv(t)
	e.appendN(300)
	s := e.strainer(StrainerOptions{Batch: 100})
	ctx, cancel := context.WithCancel(context.Background())
	s.hookAfterInsert = func(int64) error { cancel(); return nil }
	if _, err := s.StrainEvent(ctx, e.ev.ID); err == nil {
		t.Fatal("a cancelled strain reported success")
	}
	if got := len(e.items()); got != 0 {
		t.Fatalf("items after cancel = %d, want 0 (the batch rolled back)", got)
	}
	s.hookAfterInsert = nil
	if _, err := s.StrainEvent(context.Background(), e.ev.ID); err != nil {
		t.Fatalf("rerun: %v", err)
	}
	if got, c := len(e.items()), e.cursor(); got != 300 || c != 300 {
		t.Fatalf("items=%d cursor=%d, want 300 and 300", got, c)
	}
}

func TestStrainerReplayFromAnOldCursorChangesNothing(t *testing.T) {
	e := newEnv(t)
	e.appendN(50)
	e.op(live.OpHide, 3, nil)
	s := e.strainer(StrainerOptions{Batch: 20})
	if _, err := s.StrainEvent(context.Background(), e.ev.ID); err != nil {
		t.Fatal(err)
	}
	// As if the cursor write had been lost: everything is strained again.
	e.db.Exec("UPDATE strainer_cursors SET seq = 0 WHERE event_id = ?", e.ev.ID)
	if _, err := s.StrainEvent(context.Background(), e.ev.ID); err != nil {
		t.Fatal(err)
	}
	if got := len(e.items()); got != 50 {
		t.Fatalf("items = %d, want 50", got)
	}
	if !e.itemAt(3).Hidden {
		t.Fatal("item 3 is visible after a replay of its hide")
	}
	var ops int64
	e.db.Model(&models.LogOp{}).Where("event_id = ?", e.ev.ID).Count(&ops)
	if ops != 1 || e.cursor() != 51 {
		t.Fatalf("log_ops = %d, cursor = %d, want 1 and 51", ops, e.cursor())
	}
}

func TestStrainerAppliesModerationAndOpsInOrder(t *testing.T) {
	e := newEnv(t)
	held, hidden := item(2), item(3)
	held.Held, hidden.Hidden = true, true
	e.append(item(1), held, hidden, item(4))
	e.op(live.OpHide, 1, nil)
	e.op(live.OpPin, 4, ptr(item(4)))
	upd := item(4)
	upd.Text, upd.HTML = "edited", "<p>edited</p>"
	e.op(live.OpUpdate, 4, &upd)
	e.op(live.OpUnhide, 2, ptr(item(2))) // approval of the held item
	s := e.strainer(StrainerOptions{})
	if _, err := s.StrainEvent(context.Background(), e.ev.ID); err != nil {
		t.Fatal(err)
	}
	if it := e.itemAt(1); !it.Hidden {
		t.Error("hidden item 1 is visible")
	}
	if it := e.itemAt(2); it.Hidden || it.Review != models.ReviewApproved {
		t.Errorf("approved item 2: hidden=%v review=%s", it.Hidden, it.Review)
	}
	if it := e.itemAt(3); !it.Hidden {
		t.Error("item blocked at ingest is visible")
	}
	if it := e.itemAt(4); !it.Pinned || it.Text != "edited" || it.HTML != "<p>edited</p>" {
		t.Errorf("item 4: pinned=%v text=%q html=%q", it.Pinned, it.Text, it.HTML)
	}
	var ops []models.LogOp
	e.db.Where("event_id = ?", e.ev.ID).Order("seq").Find(&ops)
	want := []models.LogOp{{Seq: 5, Op: "hide", Target: 1}, {Seq: 6, Op: "pin", Target: 4}, {Seq: 7, Op: "update", Target: 4}, {Seq: 8, Op: "unhide", Target: 2}}
	if len(ops) != len(want) {
		t.Fatalf("log_ops = %+v", ops)
	}
	for i, w := range want {
		if ops[i].Seq != w.Seq || ops[i].Op != w.Op || ops[i].Target != w.Target {
			t.Errorf("log_ops[%d] = %+v, want %+v", i, ops[i], w)
		}
	}
}

func TestStrainerKeepsHeldItemsPendingUntilApproved(t *testing.T) {
	e := newEnv(t)
	held := item(1)
	held.Held = true
	e.append(held)
	if _, err := e.strainer(StrainerOptions{}).StrainEvent(context.Background(), e.ev.ID); err != nil {
		t.Fatal(err)
	}
	if it := e.itemAt(1); it.Review != models.ReviewPending {
		t.Fatalf("held item review = %s, want pending", it.Review)
	}
}

func TestStrainerAssignsItemsToTheSessionHoldingTheirTime(t *testing.T) {
	e := newEnv(t)
	a := e.session("morning", t0, t0.Add(100*time.Second))
	b := e.session("late", t0.Add(100*time.Second), t0.Add(200*time.Second))
	e.appendN(250)
	if _, err := e.strainer(StrainerOptions{Batch: 60}).StrainEvent(context.Background(), e.ev.ID); err != nil {
		t.Fatal(err)
	}
	for _, it := range e.items() {
		var want *int64
		switch off := it.CreatedAt.Sub(t0); {
		case off < 100*time.Second:
			want = &a.ID
		case off < 200*time.Second:
			want = &b.ID
		}
		if (want == nil) != (it.SessionID == nil) || (want != nil && *want != *it.SessionID) {
			t.Fatalf("item %d at +%s in session %v, want %v", it.Seq, it.CreatedAt.Sub(t0), it.SessionID, want)
		}
	}
}

func TestReassignMovesItemsAfterASessionEdit(t *testing.T) {
	e := newEnv(t)
	a := e.session("morning", t0, t0.Add(100*time.Second))
	b := e.session("late", t0.Add(100*time.Second), t0.Add(200*time.Second))
	e.appendN(200)
	s := e.strainer(StrainerOptions{})
	if _, err := s.StrainEvent(context.Background(), e.ev.ID); err != nil {
		t.Fatal(err)
	}
	before, _ := stamp.Get(context.Background(), e.redis.Client, e.redis.Namespace, e.ev.ID)
	// The organizer moves the boundary: morning ran 50 seconds longer.
	e.db.Model(&a).Update("ends_at", t0.Add(150*time.Second))
	e.db.Model(&b).Update("starts_at", t0.Add(150*time.Second))
	if _, err := s.Reassign(context.Background(), e.ev.ID); err != nil {
		t.Fatal(err)
	}
	counts, err := store.New(e.db).SessionCounts(context.Background(), e.ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if counts[a.ID] != 149 || counts[b.ID] != 50 {
		t.Fatalf("counts = %v, want morning 149 and late 50", counts)
	}
	after, _ := stamp.Get(context.Background(), e.redis.Client, e.redis.Namespace, e.ev.ID)
	if after <= before {
		t.Fatalf("archive stamp %d → %d: caches were not invalidated", before, after)
	}
	// Deleting a session leaves its items in none until a reassign finds them a window.
	e.db.Delete(&b)
	if _, err := s.Reassign(context.Background(), e.ev.ID); err != nil {
		t.Fatal(err)
	}
	if counts, _ = store.New(e.db).SessionCounts(context.Background(), e.ev.ID); counts[a.ID] != 149 || len(counts) != 1 {
		t.Fatalf("counts after deleting late = %v", counts)
	}
}

func TestStrainerTrimsRedisOnlyBelowWhatPostgresHolds(t *testing.T) {
	e := newEnv(t)
	e.appendN(120)
	s := e.strainer(StrainerOptions{Batch: 50, KeepInRedis: 30})
	if _, err := s.StrainEvent(context.Background(), e.ev.ID); err != nil {
		t.Fatal(err)
	}
	oldest, err := e.log.Oldest(context.Background(), e.ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if oldest != 91 {
		t.Fatalf("oldest seq in Redis = %d, want 91 (cursor 120 minus 30 kept)", oldest)
	}
	// A failed batch must not trim what it did not store.
	for i := 121; i <= 200; i++ {
		e.append(item(i))
	}
	s.hookAfterInsert = func(int64) error { return errors.New("boom") }
	_, _ = s.StrainEvent(context.Background(), e.ev.ID)
	if oldest, _ = e.log.Oldest(context.Background(), e.ev.ID); oldest != 91 {
		t.Fatalf("oldest after a failed strain = %d, want still 91", oldest)
	}
}

func TestStrainerContinuesBySeqAcrossAnEpochChange(t *testing.T) {
	e := newEnv(t)
	e.appendN(10)
	s := e.strainer(StrainerOptions{})
	if _, err := s.StrainEvent(context.Background(), e.ev.ID); err != nil {
		t.Fatal(err)
	}
	old, _, _ := e.log.Head(context.Background(), e.ev.ID)
	if _, _, err := e.log.NewEpoch(context.Background(), e.ev.ID, old); err != nil {
		t.Fatal(err)
	}
	for i := 11; i <= 15; i++ {
		e.append(item(i))
	}
	if _, err := s.StrainEvent(context.Background(), e.ev.ID); err != nil {
		t.Fatal(err)
	}
	if got := len(e.items()); got != 15 {
		t.Fatalf("items = %d, want 15", got)
	}
	var c models.StrainerCursor
	e.db.Where("event_id = ?", e.ev.ID).Take(&c)
	if c.Epoch == old || c.Seq != 15 {
		t.Fatalf("cursor = %+v, want the new epoch at 15", c)
	}
}

func TestStrainerStoresMalformedTextWithoutWedging(t *testing.T) {
	e := newEnv(t)
	bad := item(1)
	bad.Text = "nul\x00byte and \xff invalid"
	e.append(bad, item(2))
	if _, err := e.strainer(StrainerOptions{}).StrainEvent(context.Background(), e.ev.ID); err != nil {
		t.Fatal(err)
	}
	if got := len(e.items()); got != 2 {
		t.Fatalf("items = %d, want 2", got)
	}
}

func TestStrainAllSkipsLogsOfUnknownEvents(t *testing.T) {
	e := newEnv(t)
	e.appendN(3)
	if _, err := e.log.AppendItem(context.Background(), e.ev.ID+1000, item(1)); err != nil {
		t.Fatal(err)
	}
	n, err := e.strainer(StrainerOptions{}).StrainAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("strained %d, want 3", n)
	}
}

func TestConcurrentStrainersOfOneEventStoreEveryItemOnce(t *testing.T) {
	e := newEnv(t)
	e.appendN(3000)
	s := e.strainer(StrainerOptions{Batch: 500})
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			_, err := s.StrainEvent(context.Background(), e.ev.ID)
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got, c := len(e.items()), e.cursor(); got != 3000 || c != 3000 {
		t.Fatalf("items=%d cursor=%d, want 3000 and 3000", got, c)
	}
}

func TestStrainAllStrainsEveryLiveEvent(t *testing.T) {
	e := newEnv(t)
	var others []int64
	for i := range 5 {
		ev := e.ev
		ev.ID, ev.Slug = 0, fmt.Sprintf("other-%d", i)
		if err := e.db.Create(&ev).Error; err != nil {
			t.Fatal(err)
		}
		others = append(others, ev.ID)
		for j := 1; j <= 10+i; j++ {
			if _, err := e.log.AppendItem(context.Background(), ev.ID, item(j)); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.appendN(7)
	n, err := e.strainer(StrainerOptions{Parallel: 2}).StrainAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 7+10+11+12+13+14 {
		t.Fatalf("strained %d entries", n)
	}
	for i, id := range others {
		var c int64
		e.db.Model(&models.Item{}).Where("event_id = ?", id).Count(&c)
		if c != int64(10+i) {
			t.Fatalf("event %d has %d items, want %d", id, c, 10+i)
		}
	}
}
