package sources

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/backchannel/backchannel/live"
)

// replayIDs are the IDs replay source src posts for numbers 1..n.
func replayIDs(src int64, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("replay:%d-%d", src, i+1)
	}
	return ids
}

func countAdds(es []live.Entry) int { return len(addedIDs(es)) }

func TestReplayPostsSampleItemsWithUniqueIDsAndReportsState(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	src := h.addSource("replay", "replay", map[string]any{"every": "20ms"})
	m := NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("worker-a:1"))
	h.start(m)
	es := h.waitFor("5 replay items", func(es []live.Entry) bool { return countAdds(es) >= 5 })
	assertExactlyOnce(t, es[:5], replayIDs(src.ID, 5)...)
	it := es[0].Item
	if it.Source != "replay" || it.Kind != live.KindPost || it.Text == "" || it.Author.Name == "" || len(it.Media) != 0 {
		t.Errorf("replay item %+v", it)
	}
	st := h.waitState("items counted", src.ID, func(s State) bool { return s.ItemsTotal >= 5 && s.Connected })
	if st.Holder != "worker-a:1" || st.UpdatedAt.IsZero() || st.LastItemAt.IsZero() {
		t.Errorf("state %+v", st)
	}
}

func TestLeaseTakeoverAfterAbruptStopLosesAndDoublesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	src := h.addSource("replay", "replay", map[string]any{"every": "20ms"})
	a := NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("worker-a:1"))
	stopA := h.start(a)
	h.waitState("a holds the source", src.ID, func(s State) bool { return s.Holder == "worker-a:1" && s.ItemsTotal >= 3 })
	b := NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("worker-b:2"))
	h.start(b)
	// Both run; only a holds the lease. Now a dies like kill -9: no release,
	// no last cursor save.
	a.abandon.Store(true)
	stopA()
	before := countAdds(h.entries())
	h.waitState("b takes over", src.ID, func(s State) bool { return s.Holder == "worker-b:2" })
	es := h.waitFor("b appends more", func(es []live.Entry) bool { return countAdds(es) >= before+5 })
	// The replay counter is the cursor: every number from 1 up to the
	// highest must be in the log exactly once (none lost, none doubled).
	n := countAdds(es)
	assertExactlyOnce(t, es, replayIDs(src.ID, n)...)
}

func TestDisablingASourceStopsItsRunnerAndReleasesTheLease(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	src := h.addSource("replay", "replay", map[string]any{"every": "20ms"})
	opts := h.fastOptions("worker-a:1")
	opts.LeaseTTL = time.Minute // so only a release, not expiry, frees it
	m := NewManager(h.db.DB, h.rd.Client, h.log, opts)
	h.start(m)
	h.waitFor("items", func(es []live.Entry) bool { return countAdds(es) >= 2 })
	if err := h.db.DB.Exec("UPDATE sources SET enabled = false, updated_at = now() WHERE id = ?", src.ID).Error; err != nil {
		t.Fatal(err)
	}
	h.waitState("runner stopped", src.ID, func(s State) bool { return !s.Connected })
	leaseKey := keys{ns: h.rd.Namespace}.lease(src.ID)
	h.waitFor("lease released", func([]live.Entry) bool {
		holder, _, err := leaseHolder(context.Background(), h.rd.Client, leaseKey)
		return err == nil && holder == ""
	})
	// Enabling it again starts a runner that continues the count.
	if err := h.db.DB.Exec("UPDATE sources SET enabled = true, updated_at = now() WHERE id = ?", src.ID).Error; err != nil {
		t.Fatal(err)
	}
	h.waitState("runner restarted", src.ID, func(s State) bool { return s.Connected })
	es := h.waitFor("more items", func(es []live.Entry) bool { return countAdds(es) >= 6 })
	assertExactlyOnce(t, es, replayIDs(src.ID, countAdds(es))...)
}

func TestRunnerAppliesRulesAtIngest(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// Every replay sample is by an author whose handle ends in example.social;
	// block the first one and hold the rest.
	if err := h.db.DB.Exec(`INSERT INTO moderation_rules (event_id, kind, value) VALUES (?, 'author', 'Ana Ruiz')`, h.eventID).Error; err != nil {
		t.Fatal(err)
	}
	if err := h.db.DB.Exec(`UPDATE events SET moderation = 'before' WHERE id = ?`, h.eventID).Error; err != nil {
		t.Fatal(err)
	}
	h.addSource("replay", "replay", map[string]any{"every": "20ms"})
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1")))
	es := h.waitFor("2 items", func(es []live.Entry) bool { return countAdds(es) >= 2 })
	first, second := es[0].Item, es[1].Item
	if !first.Hidden || !first.Held || second.Hidden || !second.Held {
		t.Errorf("first hidden=%v held=%v; second hidden=%v held=%v", first.Hidden, first.Held, second.Hidden, second.Held)
	}
}

func TestRequestReconnectIsTakenByTheRunner(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	src := h.addSource("replay", "replay", map[string]any{"every": "1h"})
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1")))
	h.waitFor("first item", func(es []live.Entry) bool { return countAdds(es) == 1 })
	if err := RequestReconnect(context.Background(), h.rd.Client, h.rd.Namespace, src.ID); err != nil {
		t.Fatal(err)
	}
	// A replay source sleeping for an hour wakes on the request and posts.
	h.waitFor("second item", func(es []live.Entry) bool { return countAdds(es) == 2 })
}
