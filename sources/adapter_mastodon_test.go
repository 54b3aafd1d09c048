package sources

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/backchannel/backchannel/live"
)

func mastodonIDs(ns ...int) []string {
	var ids []string
	for _, n := range ns {
		ids = append(ids, "mastodon:"+statusURI(n))
	}
	return ids
}

const (
	fixtureStatusA = "mastodon:https://fosstodon.example/users/ada/statuses/113512345600000001"
	fixtureStatusB = "mastodon:https://mastodon.example/users/bob/statuses/113512349999000001"
)

func TestMastodonStreamCutMidPayloadReconnectsAndBackfillsExactlyOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f, srv := newFakeMastodon(t)
	f.streamScript = func(n int, w http.ResponseWriter, r *http.Request, f *fakeMastodon) {
		sseStart(w)
		switch n {
		case 1:
			f.waitTimeline(1)
			// The fixture as is: update A, status.update of B (never seen),
			// a heartbeat, delete of A.
			w.Write(fixture(t, "mastodon_sse.txt"))
			for i := 1; i <= 3; i++ {
				sseEvent(w, "update", f.publish(i))
			}
			// Posts 4-7 are published while the connection breaks mid-event.
			for i := 4; i <= 7; i++ {
				f.publish(i)
			}
			fmt.Fprintf(w, "event: update\ndata: %s", f.status(4, "post 4")[:40])
			abort(w)
		case 2:
			sseEvent(w, "notification", []byte(`{"id":"1"}`))
			sseEvent(w, "update", []byte(`{not json`))
			sseEvent(w, "update", []byte(strings.Repeat("x", MaxLine+1)))
			sseEvent(w, "update", f.publish(8))
			sseEvent(w, "update", f.publish(3)) // a duplicate
			sseEvent(w, "status.update", f.status(1, "post 1, edited"))
			sseEvent(w, "delete", []byte(statusID(2)))
			holdOpen(w, r, ":thump\n")
		default:
			holdOpen(w, r, ":thump\n")
		}
	}
	src := h.addSource("mastodon", "mastodon:gophercon2026", map[string]any{"instance": srv.URL, "tag": "gophercon2026", "token_env": "MASTODON_TOKEN"})
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1")))

	want := append([]string{fixtureStatusA, fixtureStatusB}, mastodonIDs(1, 2, 3, 4, 5, 6, 7, 8)...)
	es := h.waitFor("all posts and the ops", func(es []live.Entry) bool {
		return hasAll(want...)(es) && countOps(es, live.OpHide) == 2 && countOps(es, live.OpUpdate) == 1
	})
	assertExactlyOnce(t, es, want...)
	if target := opTarget(es, live.OpHide, 0); target != seqOfItem(es, fixtureStatusA) {
		t.Errorf("first hide targets %d, want the fixture's deleted status %d", target, seqOfItem(es, fixtureStatusA))
	}
	if target := opTarget(es, live.OpHide, 1); target != seqOfItem(es, mastodonIDs(2)[0]) {
		t.Errorf("second hide targets %d, want post 2", target)
	}
	for _, e := range es {
		if e.Op == live.OpUpdate && (e.Target != seqOfItem(es, mastodonIDs(1)[0]) || e.Item == nil || e.Item.Text != "post 1, edited") {
			t.Errorf("update entry %+v", e)
		}
	}
	st := h.waitState("bad payloads counted", src.ID, func(s State) bool { return s.BadPayloads >= 3 })
	if st.Reconnects < 1 || !st.Connected {
		t.Errorf("state %+v", st)
	}
	if !f.authOK {
		t.Errorf("stream request lacked the bearer token")
	}
}

func TestMastodonFallsBackToRESTPollingWhenStreamingIsMissing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f, srv := newFakeMastodon(t)
	f.streamScript = func(n int, w http.ResponseWriter, r *http.Request, f *fakeMastodon) {
		http.NotFound(w, r)
	}
	for i := 1; i <= 3; i++ {
		f.publish(i)
	}
	h.addSource("mastodon", "mastodon:gophercon2026", map[string]any{"instance": srv.URL, "tag": "gophercon2026"})
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1")))
	h.waitFor("first posts", hasAll(mastodonIDs(1, 2, 3)...))
	f.publish(4)
	f.publish(5)
	es := h.waitFor("later posts", hasAll(mastodonIDs(1, 2, 3, 4, 5)...))
	assertExactlyOnce(t, es, mastodonIDs(1, 2, 3, 4, 5)...)
}

func TestMastodonSilentStreamIsTreatedAsDeadAndBackfilled(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f, srv := newFakeMastodon(t)
	f.streamScript = func(n int, w http.ResponseWriter, r *http.Request, f *fakeMastodon) {
		sseStart(w)
		if n == 1 {
			f.waitTimeline(1)
			sseEvent(w, "update", f.publish(1))
			f.publish(2)       // never streamed
			holdOpen(w, r, "") // silent: no heartbeat
			return
		}
		holdOpen(w, r, ":thump\n")
	}
	src := h.addSource("mastodon", "mastodon:gophercon2026", map[string]any{"instance": srv.URL, "tag": "gophercon2026"})
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1")))
	es := h.waitFor("post 2 from the backfill", hasAll(mastodonIDs(1, 2)...))
	assertExactlyOnce(t, es, mastodonIDs(1, 2)...)
	if f.streamConns() < 2 {
		t.Errorf("stream connections %d, want a reconnect", f.streamConns())
	}
	st := h.waitState("reconnect counted", src.ID, func(s State) bool { return s.Reconnects >= 1 })
	if !strings.Contains(st.LastError, "silent") {
		t.Errorf("last error %q", st.LastError)
	}
}

func countOps(es []live.Entry, op string) int {
	n := 0
	for _, e := range es {
		if e.Op == op {
			n++
		}
	}
	return n
}

// opTarget is the target of the i-th entry with op.
func opTarget(es []live.Entry, op string, i int) int64 {
	for _, e := range es {
		if e.Op == op {
			if i == 0 {
				return e.Target
			}
			i--
		}
	}
	return -1
}

func TestMastodonTakeoverAfterAbruptStopBackfillsWhatNobodyStreamed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f, srv := newFakeMastodon(t)
	f.streamScript = func(n int, w http.ResponseWriter, r *http.Request, f *fakeMastodon) {
		sseStart(w)
		if n == 1 {
			f.waitTimeline(1)
			for i := 1; i <= 3; i++ {
				sseEvent(w, "update", f.publish(i))
			}
		}
		holdOpen(w, r, ":thump\n")
	}
	src := h.addSource("mastodon", "mastodon:gophercon2026", map[string]any{"instance": srv.URL, "tag": "gophercon2026"})
	a := NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("worker-a:1"))
	stopA := h.start(a)
	h.waitFor("a streams posts 1-3", hasAll(mastodonIDs(1, 2, 3)...))
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("worker-b:2")))
	// a dies like kill -9; posts 4-6 appear while nobody holds the source.
	a.abandon.Store(true)
	stopA()
	for i := 4; i <= 6; i++ {
		f.publish(i)
	}
	h.waitState("b takes over", src.ID, func(s State) bool { return s.Holder == "worker-b:2" })
	es := h.waitFor("b backfills posts 4-6", hasAll(mastodonIDs(1, 2, 3, 4, 5, 6)...))
	assertExactlyOnce(t, es, mastodonIDs(1, 2, 3, 4, 5, 6)...)
}

// A takeover after a long outage must page through the whole backlog: any cap
// on backfill pages lets the next streamed id move the cursor past the rest.
func TestMastodonTakeoverBackfillsABacklogLongerThanManyPages(t *testing.T) {
	t.Parallel()
	const backlog = 60 * mastodonPageSize
	h := newHarness(t)
	f, srv := newFakeMastodon(t)
	f.streamScript = func(n int, w http.ResponseWriter, r *http.Request, f *fakeMastodon) {
		sseStart(w)
		switch n {
		case 1:
			f.waitTimeline(1)
			sseEvent(w, "update", f.publish(1))
		default:
			// The first event of the new connection is newer than the whole backlog.
			sseEvent(w, "update", f.publish(backlog+2))
		}
		holdOpen(w, r, ":thump\n")
	}
	src := h.addSource("mastodon", "mastodon:gophercon2026", map[string]any{"instance": srv.URL, "tag": "gophercon2026"})
	a := NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("worker-a:1"))
	stopA := h.start(a)
	h.waitFor("a streams post 1", hasAll(mastodonIDs(1)...))
	h.waitState("a saved its cursor past post 1", src.ID, func(State) bool {
		c, err := h.rd.Client.Do(context.Background(), h.rd.Client.B().Hget().Key(keys{h.rd.Namespace}.cursor(src.ID)).Field("cursor").Build()).ToString()
		return err == nil && c == statusID(1)
	})
	a.abandon.Store(true)
	stopA()
	all := []int{1}
	for i := 2; i <= backlog+1; i++ {
		f.publish(i)
		all = append(all, i)
	}
	all = append(all, backlog+2)
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("worker-b:2")))
	es := h.waitFor("b backfills the whole backlog", hasAll(mastodonIDs(all...)...))
	assertExactlyOnce(t, es, mastodonIDs(all...)...)
}
