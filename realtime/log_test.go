package realtime

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backchannel/backchannel/live"
)

func TestAppendAssignsGapFreeSeqsAndDropsDuplicatesUnderConcurrentAppenders(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		const workers, perWorker, distinct = 8, 60, 150
		var mu sync.Mutex
		seqOf := map[string]int64{}
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range perWorker {
					id := fmt.Sprintf("%d", (w*37+j*7)%distinct) // overlapping ids across workers
					res, err := l.AppendItem(ctx, 1, testItem(id))
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					if prev, ok := seqOf[id]; ok && prev != res.Seq {
						errs <- fmt.Errorf("id %s got seq %d and %d", id, prev, res.Seq)
					}
					seqOf[id] = res.Seq
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		entries, err := l.Range(ctx, 1, 0, 10000)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != len(seqOf) {
			t.Fatalf("log holds %d entries for %d distinct items", len(entries), len(seqOf))
		}
		seen := map[string]bool{}
		for i, e := range entries {
			if e.Seq != int64(i+1) {
				t.Fatalf("entry %d has seq %d: want 1..K without gaps", i, e.Seq)
			}
			if e.Op != live.OpAdd || e.Item == nil || e.Item.Seq != e.Seq {
				t.Fatalf("entry %d is not an add carrying its seq: %+v", i, e)
			}
			if seen[e.Item.ID] {
				t.Fatalf("item %s appended twice", e.Item.ID)
			}
			seen[e.Item.ID] = true
			if seqOf[strings.TrimPrefix(e.Item.ID, "mastodon:")] != e.Seq {
				t.Fatalf("item %s: append said seq %d, log says %d", e.Item.ID, seqOf[e.Item.ID], e.Seq)
			}
		}
		_, head, err := l.Head(ctx, 1)
		if err != nil || head != int64(len(seqOf)) {
			t.Fatalf("head = %d, %v; want %d", head, err, len(seqOf))
		}
	})
}

func TestDuplicateAppendReturnsOriginalSeqAndAppendsNothing(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		first, err := l.AppendItem(ctx, 7, testItem("a"))
		if err != nil || first.Seq != 1 || first.Duplicate || first.Epoch == "" {
			t.Fatalf("first append = %+v, %v", first, err)
		}
		again, err := l.AppendItem(ctx, 7, testItem("a"))
		if err != nil || again.Seq != 1 || !again.Duplicate || again.Epoch != first.Epoch {
			t.Fatalf("duplicate append = %+v, %v; want seq 1, duplicate, same epoch", again, err)
		}
		if _, head, _ := l.Head(ctx, 7); head != 1 {
			t.Fatalf("head = %d after a duplicate, want 1", head)
		}
	})
}

func TestAppendedItemRoundTripsThroughTheLog(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		it := testItem("x")
		it.Kind, it.URL, it.Session = live.KindPhoto, "https://example.social/@ana/1", "opening-keynote"
		it.Media = []live.Media{{Type: "image", URL: "https://example.social/a.jpg", Alt: "a \"quoted\" alt"}}
		it.Text = "unicode ✓ and \"quotes\" and \\ backslash"
		if _, err := l.AppendItem(ctx, 3, it); err != nil {
			t.Fatal(err)
		}
		es, err := l.Range(ctx, 3, 0, 10)
		if err != nil || len(es) != 1 {
			t.Fatalf("range = %v, %v", es, err)
		}
		it.Seq = 1
		got := *es[0].Item
		if got.Text != it.Text || got.Kind != it.Kind || got.URL != it.URL || got.Session != it.Session ||
			!got.CreatedAt.Equal(it.CreatedAt) || got.Seq != 1 || len(got.Media) != 1 || got.Media[0] != it.Media[0] {
			t.Fatalf("item came back as %+v, want %+v", got, it)
		}
	})
}

func TestOpsAreLoggedInOrderAndKeepSnapshotState(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		for _, id := range []string{"1", "2", "3"} {
			if _, err := l.AppendItem(ctx, 5, testItem(id)); err != nil {
				t.Fatal(err)
			}
		}
		held := testItem("held")
		held.Held = true
		if _, err := l.AppendItem(ctx, 5, held); err != nil { // seq 4, not public
			t.Fatal(err)
		}
		one, three := testItem("1"), testItem("3")
		three.Text = "edited"
		steps := []struct {
			op     string
			target int64
			it     *live.Item
		}{
			{live.OpHide, 2, nil},      // seq 5
			{live.OpPin, 1, &one},      // seq 6
			{live.OpUpdate, 3, &three}, // seq 7
			{live.OpUpdate, 4, &held},  // seq 8: stays private
			{live.OpUnhide, 4, &held},  // seq 9: approved
		}
		for i, s := range steps {
			res, err := l.AppendOp(ctx, 5, s.op, s.target, s.it)
			if err != nil || res.Seq != int64(5+i) {
				t.Fatalf("%s %d = %+v, %v; want seq %d", s.op, s.target, res, err, 5+i)
			}
		}
		es, err := l.Range(ctx, 5, 4, 100)
		if err != nil || len(es) != 5 {
			t.Fatalf("range = %v, %v", es, err)
		}
		if es[0].Op != live.OpHide || es[0].Target != 2 || es[0].Item != nil {
			t.Fatalf("hide entry = %+v", es[0])
		}
		if es[1].Op != live.OpPin || es[1].Target != 1 || !es[1].Item.Pinned || es[1].Item.Seq != 1 {
			t.Fatalf("pin entry = %+v", es[1])
		}
		if es[2].Op != live.OpUpdate || es[2].Item.Text != "edited" || es[2].Item.Hidden {
			t.Fatalf("update entry = %+v", es[2])
		}
		if !es[3].Item.Hidden {
			t.Fatalf("an update of a held item must stay private, got %+v", es[3].Item)
		}
		if es[4].Op != live.OpUnhide || es[4].Item.Hidden || es[4].Item.Held {
			t.Fatalf("unhide entry = %+v", es[4].Item)
		}
		items, err := l.Items(ctx, 5, 10)
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for _, it := range items {
			seqs = append(seqs, it.Seq)
		}
		if !slices.Equal(seqs, []int64{1, 3, 4}) || !items[0].Pinned || items[1].Text != "edited" {
			t.Fatalf("snapshot items = %+v, want seqs 1 (pinned), 3 (edited), 4", items)
		}
		if items, _ := l.Items(ctx, 5, 2); len(items) != 2 || items[0].Seq != 3 || items[1].Seq != 4 {
			t.Fatalf("snapshot limited to 2 = %+v, want the newest two, oldest first", items)
		}
	})
}

func TestAppendOpOnUnknownTargetFails(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		if _, err := l.AppendItem(ctx, 9, testItem("1")); err != nil {
			t.Fatal(err)
		}
		for _, target := range []int64{0, 2, 99} {
			if _, err := l.AppendOp(ctx, 9, live.OpHide, target, nil); !errors.Is(err, ErrUnknownTarget) {
				t.Fatalf("hide %d: err = %v, want ErrUnknownTarget", target, err)
			}
		}
		if _, head, _ := l.Head(ctx, 9); head != 1 {
			t.Fatalf("a refused op moved the head to %d", head)
		}
	})
}

func TestEpochIsCreatedOnceAndReplacedOnlyFromTheCurrentOne(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		e1, head, err := l.Head(ctx, 11)
		if err != nil || e1 == "" || head != 0 {
			t.Fatalf("head of a new log = %q, %d, %v", e1, head, err)
		}
		res, err := l.AppendItem(ctx, 11, testItem("1"))
		if err != nil || res.Epoch != e1 {
			t.Fatalf("append epoch = %q, %v; want %q", res.Epoch, err, e1)
		}
		e2, head, err := l.NewEpoch(ctx, 11, e1)
		if err != nil || e2 == e1 || head != 1 {
			t.Fatalf("new epoch = %q, %d, %v; want a fresh epoch at head 1", e2, head, err)
		}
		e3, _, err := l.NewEpoch(ctx, 11, e1) // a second hub noticing the same loss
		if err != nil || e3 != e2 {
			t.Fatalf("stale new epoch = %q, %v; want the current %q unchanged", e3, err, e2)
		}
		if e, _, _ := l.Head(ctx, 11); e != e2 {
			t.Fatalf("head epoch = %q, want %q", e, e2)
		}
	})
}

func TestRangeOldestAndTrim(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		if o, err := l.Oldest(ctx, 13); err != nil || o != 0 {
			t.Fatalf("oldest of an empty log = %d, %v", o, err)
		}
		for i := range 10 {
			if _, err := l.AppendItem(ctx, 13, testItem(fmt.Sprint(i))); err != nil {
				t.Fatal(err)
			}
		}
		es, err := l.Range(ctx, 13, 3, 4)
		if err != nil || len(es) != 4 || es[0].Seq != 4 || es[3].Seq != 7 {
			t.Fatalf("range after 3 limit 4 = %v, %v", es, err)
		}
		if err := l.Trim(ctx, 13, 5); err != nil {
			t.Fatal(err)
		}
		if o, err := l.Oldest(ctx, 13); err != nil || o != 6 {
			t.Fatalf("oldest after trim = %d, %v; want 6", o, err)
		}
		es, _ = l.Range(ctx, 13, 0, 100)
		if len(es) != 5 || es[0].Seq != 6 {
			t.Fatalf("range after trim = %v", es)
		}
		if res, err := l.AppendItem(ctx, 13, testItem("0")); err != nil || !res.Duplicate || res.Seq != 1 {
			t.Fatalf("re-append of a trimmed item = %+v, %v; want duplicate of seq 1", res, err)
		}
		if res, err := l.AppendItem(ctx, 13, testItem("new")); err != nil || res.Seq != 11 {
			t.Fatalf("append after trim = %+v, %v; want seq 11", res, err)
		}
		if _, err := l.AppendOp(ctx, 13, live.OpHide, 2, nil); err != nil {
			t.Fatalf("hide of a trimmed item: %v", err)
		}
	})
}

func TestEventsListsEveryLog(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		for _, ev := range []int64{21, 22, 23} {
			if _, err := l.AppendItem(ctx, ev, testItem("1")); err != nil {
				t.Fatal(err)
			}
		}
		evs, err := l.Events(ctx)
		slices.Sort(evs)
		if err != nil || !slices.Equal(evs, []int64{21, 22, 23}) {
			t.Fatalf("events = %v, %v", evs, err)
		}
	})
}

func TestAppendPublishesTheEntryItStores(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		got := make(chan string, 1)
		subscribed := make(chan struct{})
		go func() {
			sctx := withSubscribed(ctx, subscribed)
			_ = env.client.Receive(sctx, env.client.B().Psubscribe().Pattern(l.pattern()).Build(), func(m rueidisMessage) {
				select {
				case got <- m.Message:
				default:
				}
			})
		}()
		<-subscribed
		res, err := l.AppendItem(ctx, 31, testItem("1"))
		if err != nil {
			t.Fatal(err)
		}
		es, _ := l.rangeRaw(ctx, 31, 0, 1)
		select {
		case msg := <-got:
			if want := res.Epoch + " " + string(es[0].raw); msg != want {
				t.Fatalf("published %q, want %q", msg, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no message published")
		}
	})
}

func TestCompactKeepsTheNewestItemsForSnapshotsAndTheDedupeForAll(t *testing.T) {
	forEachRedis(t, func(t *testing.T, env redisEnv) {
		ctx := testCtx(t)
		l := NewLog(env.client, env.namespace)
		const ev = 31
		appendN(t, l, ev, "c", 25)                                           // seqs 1..25
		if _, err := l.AppendOp(ctx, ev, live.OpHide, 24, nil); err != nil { // seq 26: 24 is not shown
			t.Fatal(err)
		}
		before, _, _, err := l.snapshot(ctx, ev, 5)
		if err != nil {
			t.Fatal(err)
		}
		dropped, err := l.Compact(ctx, ev, 10)
		if err != nil {
			t.Fatal(err)
		}
		// The newest 10 shown are 25, 23, 22 … 15: states below 15 go.
		if dropped != 14 {
			t.Fatalf("dropped %d item states, want 14", dropped)
		}
		items, entries, err := l.Held(ctx, ev)
		if err != nil || items != 11 || entries != 26 {
			t.Fatalf("held %d items, %d entries (%v); want 11 (15..25) and the log untouched", items, entries, err)
		}
		epoch, head, snap, err := l.snapshot(ctx, ev, 10)
		if err != nil || head != 26 || epoch != before {
			t.Fatalf("snapshot after compaction: %q %d %v", epoch, head, err)
		}
		var got []int64
		for _, it := range snap {
			got = append(got, it.Seq)
		}
		if fmt.Sprint(got) != "[15 16 17 18 19 20 21 22 23 25]" {
			t.Fatalf("snapshot of 10 after compaction = %v", got)
		}
		if _, err := l.AppendOp(ctx, ev, live.OpHide, 3, nil); !errors.Is(err, ErrUnknownTarget) {
			t.Fatalf("hide of a compacted item: %v, want ErrUnknownTarget", err)
		}
		if res, err := l.AppendItem(ctx, ev, testItem("c3")); err != nil || !res.Duplicate || res.Seq != 4 {
			t.Fatalf("a late copy of a compacted item: %+v, %v; want the duplicate of seq 4", res, err)
		}
		if dropped, err := l.Compact(ctx, ev, 10); err != nil || dropped != 0 {
			t.Fatalf("compacting again dropped %d (%v), want 0", dropped, err)
		}
		if dropped, err := l.Compact(ctx, 32, 10); err != nil || dropped != 0 {
			t.Fatalf("compacting an empty log dropped %d (%v)", dropped, err)
		}
	})
}
