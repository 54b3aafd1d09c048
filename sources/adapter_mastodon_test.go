package sources

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/sources/fakes"
)

const testTag = "gophercon2026"

// newMastodonFake starts a fake instance for testTag. Its heartbeat is
// 200 ms unless the options say otherwise, so the 1 s watchdog of
// fastOptions sits 5 times above it.
func newMastodonFake(t *testing.T, o fakes.MastodonOptions) (*fakes.Mastodon, string) {
	t.Helper()
	o.Tag = testTag
	if o.Heartbeat == 0 {
		o.Heartbeat = 200 * time.Millisecond
	}
	f := fakes.NewMastodon(o)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func mastodonSource(h *harness, instance string, extra map[string]any) (cfg map[string]any) {
	cfg = map[string]any{"instance": instance, "tag": testTag, "token_env": "MASTODON_TOKEN"}
	for k, v := range extra {
		cfg[k] = v
	}
	return cfg
}

func itemOf(s fakes.MastodonStatus) string { return "mastodon:" + s.URI }

func itemsOf(ss ...fakes.MastodonStatus) []string {
	ids := make([]string, len(ss))
	for i, s := range ss {
		ids[i] = itemOf(s)
	}
	return ids
}

// waitStream waits until the runner holds a stream open (its backfill is
// then done: the adapter reads the timeline before the stream's events).
func waitStream(t *testing.T, f *fakes.Mastodon, n int) {
	t.Helper()
	eventually(t, "an open stream", func() bool { s := f.Stats(); return s.OpenStreams == 1 && s.StreamConnections >= n })
	time.Sleep(50 * time.Millisecond)
}

// waitTimelineSettled waits until the fake saw no timeline request for two
// seconds and returns its stats then.
func waitTimelineSettled(t *testing.T, f *fakes.Mastodon) fakes.MastodonStats {
	t.Helper()
	last, since := f.Stats(), time.Now()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		s := f.Stats()
		if s.TimelineRequests != last.TimelineRequests {
			last, since = s, time.Now()
		}
		if s.TimelineRequests > 0 && time.Since(since) >= 2*time.Second {
			return s
		}
	}
	t.Fatalf("the timeline never settled: %d requests", last.TimelineRequests)
	return last
}

// The heartbeat race of issue 13, at the production intervals: Mastodon
// writes ":thump" every 15 s and the watchdog sits at 37.5 s. A hashtag
// that stays quiet for longer than three heartbeats keeps its one stream,
// and the next post arrives over it, not through REST polling.
func TestMastodonQuietHashtagKeepsItsStreamAtTheProductionHeartbeat(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f, u := newMastodonFake(t, fakes.MastodonOptions{Heartbeat: fakes.MastodonDefaultHeartbeat})
	src := h.addSource("mastodon", "mastodon:quiet", mastodonSource(h, u, nil))
	opts := h.fastOptions("w:1")
	opts.Heartbeats = Heartbeats{} // the production watchdogs
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, opts))
	waitStream(t, f, 1)
	// The backfill runs with the stream open (its pages may come after the
	// stream is up on a busy machine): the quiet spell starts once it ended.
	before := waitTimelineSettled(t, f)
	time.Sleep(50 * time.Second) // quiet: only ":thump" comments
	s := f.Post("ada", "after a quiet spell #"+testTag)
	es := h.waitFor("the post after the quiet spell", hasAll(itemOf(s)))
	assertExactlyOnce(t, es, itemOf(s))
	after := f.Stats()
	if after.StreamConnections != 1 || after.OpenStreams != 1 {
		t.Errorf("the quiet stream was dropped: %d connections, %d open", after.StreamConnections, after.OpenStreams)
	}
	if after.TimelineRequests != before.TimelineRequests {
		t.Errorf("the timeline was polled %d times during the quiet spell", after.TimelineRequests-before.TimelineRequests)
	}
	if st := h.state(src.ID); st.Reconnects != 0 || !st.Connected || st.Notice != "" {
		t.Errorf("state after a quiet hour's worth of heartbeats: %+v", st)
	}
}

func TestMastodonStreamWithoutATokenReadsTheTimelineAndSaysTokenMissing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f, u := newMastodonFake(t, fakes.MastodonOptions{})
	// No token_env: Mastodon 4.2+ answers the stream 401 "Missing access token".
	src := h.addSource("mastodon", "mastodon:notoken", map[string]any{"instance": u, "tag": testTag})
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1")))
	st := h.waitState("token missing on the dashboard", src.ID, func(s State) bool { return strings.HasPrefix(s.Notice, "token missing") })
	if !strings.Contains(st.Notice, "tag timeline") {
		t.Errorf("notice %q does not say how the source still runs", st.Notice)
	}
	a, b := f.Post("ada", "one"), f.Post("bob", "two")
	es := h.waitFor("posts read from the timeline", hasAll(itemsOf(a, b)...))
	assertExactlyOnce(t, es, itemsOf(a, b)...)
	if n := f.Stats().StreamConnections; n != 0 {
		t.Errorf("%d streams accepted without a token", n)
	}
	h.waitState("connected through the timeline, the notice kept", src.ID, func(s State) bool {
		return s.Connected && s.ItemsTotal == 2 && strings.HasPrefix(s.Notice, "token missing")
	})
}

func TestMastodonTokenRefusedByStreamAndTimelineIsALastingStateNotSilence(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f, u := newMastodonFake(t, fakes.MastodonOptions{Token: "the-right-token", TimelineRequiresToken: true})
	f.Post("ada", "unreadable")
	src := h.addSource("mastodon", "mastodon:refused", mastodonSource(h, u, nil))
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1")))
	st := h.waitState("token refused, nothing readable", src.ID, func(s State) bool {
		return strings.HasPrefix(s.Notice, "token refused") && strings.Contains(s.Notice, "nothing can be read") && s.Reconnects >= 2
	})
	if st.Connected || !strings.Contains(st.LastError, "401") {
		t.Errorf("state %+v", st)
	}
	if n := countAdds(h.entries()); n != 0 {
		t.Errorf("%d items appended with a refused token", n)
	}
}

// A remote status that federates late gets an id from its own creation
// time (lib/mastodon/snowflake.rb), below ids already seen. One that
// arrives while the stream is down is found by the next backfill's late
// window; edits and deletes on the stream become update and hide.
func TestMastodonLateFederatedStatusesArrivingDuringAGapAreNotLost(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f, u := newMastodonFake(t, fakes.MastodonOptions{})
	h.addSource("mastodon", "mastodon:late", mastodonSource(h, u, nil))
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1")))
	waitStream(t, f, 1)
	a := f.Post("ada", "first")
	b := f.Post("bob", "second")
	h.waitFor("streamed posts", hasAll(itemsOf(a, b)...))
	// The stream breaks and stays down for three attempts (502 from nginx);
	// meanwhile statuses written minutes ago on other servers arrive.
	f.FailStream(fakes.MastodonBadGateway, fakes.MastodonBadGateway, fakes.MastodonBadGateway)
	f.CutStreams()
	late1 := f.PostLate("carol", "written two minutes ago", time.Now().Add(-2*time.Minute))
	late2 := f.PostLate("dan", "written five minutes ago", time.Now().Add(-5*time.Minute))
	c := f.Post("eve", "new during the gap")
	if late1.ID >= b.ID || len(late1.ID) != len(b.ID) {
		t.Fatalf("the fake's late id %s does not sort below %s", late1.ID, b.ID)
	}
	waitStream(t, f, 2)
	f.Edit(a.ID, "first, edited")
	f.Delete(b.ID)
	all := itemsOf(a, b, late1, late2, c)
	es := h.waitFor("every post, an update and a hide", func(es []live.Entry) bool {
		return hasAll(all...)(es) && countOps(es, live.OpUpdate) == 1 && countOps(es, live.OpHide) == 1
	})
	assertExactlyOnce(t, es, all...)
	if opTarget(es, live.OpHide, 0) != seqOfItem(es, itemOf(b)) {
		t.Errorf("the delete hides seq %d, want %d", opTarget(es, live.OpHide, 0), seqOfItem(es, itemOf(b)))
	}
	for _, e := range es {
		if e.Op == live.OpUpdate && (e.Target != seqOfItem(es, itemOf(a)) || e.Item == nil || !strings.Contains(e.Item.Text, "first, edited")) {
			t.Errorf("update entry %+v", e)
		}
	}
}

func TestMastodonPagesThatAreNotPagesAreRetriedAndOneBadStatusDoesNotEndPaging(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f, u := newMastodonFake(t, fakes.MastodonOptions{StreamAllowsAnonymous: true})
	h.addSource("mastodon", "mastodon:pages", mastodonSource(h, u, nil))
	opts := h.fastOptions("w:1")
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, opts))
	waitStream(t, f, 1)
	first := f.Post("ada", "seen on the stream")
	h.waitFor("the first post", hasAll(itemOf(first)))
	// While the stream is cut, 100 statuses appear (more than two pages);
	// the timeline then answers a CDN's HTML page with status 200, nginx's
	// 502, rack-attack's 429 (its reset is capped by MaxRetryAfter), and a
	// page with one malformed status.
	f.FailStream(fakes.MastodonBadGateway)
	f.FailTimeline(fakes.MastodonHTML200, fakes.MastodonBadGateway, fakes.MastodonRateLimited, fakes.MastodonBadStatus)
	f.CutStreams()
	var want []string
	for i := range 100 {
		want = append(want, itemOf(f.Post("u"+fmt.Sprint(i%7), fmt.Sprintf("post %d", i))))
	}
	es := h.waitFor("all but the malformed status", func(es []live.Entry) bool { return countAdds(es) >= 100 })
	got := map[string]bool{}
	for _, id := range addedIDs(es) {
		got[id] = true
	}
	missing := 0
	for _, id := range want {
		if !got[id] {
			missing++
		}
	}
	// The malformed status is skipped on its page (a later re-read of the
	// late window may find it whole); the rest of the page and the pages
	// after it are read.
	if missing > 1 {
		t.Errorf("%d posts missing, want at most the malformed one", missing)
	}
	st := h.state(h.firstSource(t))
	if st.BadPayloads < 2 {
		t.Errorf("the HTML page and the bad status were not counted: %+v", st)
	}
}

// A source added an hour into its event pages back to the event's start,
// appends what it finds oldest first, and counts it on the dashboard.
func TestMastodonSourceAddedAfterItsEventBeganBackfillsToTheStart(t *testing.T) {
	t.Parallel()
	h := newHarness(t) // the event began an hour ago
	f, u := newMastodonFake(t, fakes.MastodonOptions{})
	f.PostLate("ada", "the evening before", time.Now().Add(-2*time.Hour))
	var want []string
	for i := range 90 {
		want = append(want, itemOf(f.PostLate("bob", fmt.Sprintf("during the event %d", i), time.Now().Add(-50*time.Minute+time.Duration(i)*20*time.Second))))
	}
	src := h.addSource("mastodon", "mastodon:history", mastodonSource(h, u, nil))
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1")))
	waitStream(t, f, 1)
	// The count is read once the backfill is done: a post made while it
	// pages is found by it too (and counted), which is right but not this
	// test's number.
	st := h.waitState("backfill counted", src.ID, func(s State) bool { return s.BackfillDone })
	if st.Backfilled != 90 {
		t.Errorf("backfilled %d, want 90", st.Backfilled)
	}
	live1 := f.Post("carol", "live")
	want = append(want, itemOf(live1))
	es := h.waitFor("history and the live post", hasAll(want...))
	assertExactlyOnce(t, es, want...)
	for i := 1; i < 90; i++ {
		if es[i].Item.CreatedAt.Before(es[i-1].Item.CreatedAt) {
			t.Fatalf("history appended out of order at %d", i)
		}
	}
}

// A takeover after a long outage pages through the whole backlog: any cap
// on forward pages would let the next streamed id move the cursor past it.
func TestMastodonTakeoverBackfillsABacklogLongerThanManyPages(t *testing.T) {
	t.Parallel()
	const backlog = 15 * mastodonPageSize
	h := newHarness(t)
	f, u := newMastodonFake(t, fakes.MastodonOptions{})
	src := h.addSource("mastodon", "mastodon:backlog", mastodonSource(h, u, nil))
	a := NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("worker-a:1"))
	stopA := h.start(a)
	waitStream(t, f, 1)
	first := f.Post("ada", "first")
	h.waitFor("a streams the first post", hasAll(itemOf(first)))
	h.waitState("a saved its cursor past it", src.ID, func(State) bool {
		c, err := h.rd.Client.Do(context.Background(), h.rd.Client.B().Hget().Key(keys{h.rd.Namespace}.cursor(src.ID)).Field("cursor").Build()).ToString()
		return err == nil && c == first.ID
	})
	a.abandon.Store(true)
	stopA()
	want := []string{itemOf(first)}
	for i := range backlog {
		want = append(want, itemOf(f.Post("u"+fmt.Sprint(i%13), fmt.Sprintf("backlog %d", i))))
	}
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("worker-b:2")))
	waitStream(t, f, 2)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("state %+v, fake %+v", h.state(src.ID), f.Stats())
		}
	})
	next := f.Post("bob", "newer than the backlog")
	want = append(want, itemOf(next))
	es := h.waitFor("b backfills the whole backlog", hasAll(want...))
	assertExactlyOnce(t, es, want...)
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
