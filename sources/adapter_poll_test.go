package sources

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/sources/fakes"
)

// pollThroughAsynq runs one TypePoll task of the source through an asynq
// mux, as a worker does when the scheduler enqueues it.
func pollThroughAsynq(t *testing.T, m *Manager, sourceID int64) {
	t.Helper()
	mux := asynq.NewServeMux()
	RegisterPollHandlers(mux, m)
	if err := mux.ProcessTask(context.Background(), NewPollTask(sourceID)); err != nil {
		t.Fatalf("poll task of source %d: %v", sourceID, err)
	}
}

func TestFlickrPollsFromTheEventStartHidesDeletedPhotosAndNeverShowsItsKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t) // the event began an hour ago
	f := fakes.NewFlickr("test-token")
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.Upload("ada", "the evening before", "gophercon2026", time.Now().Add(-2*time.Hour))
	a := f.Upload("bob", "Keynote stage", "gophercon2026 keynote", time.Now().Add(-30*time.Minute))
	b := f.Upload("carol", "Hallway", "GopherCon2026", time.Now().Add(-10*time.Minute))
	f.Fail(105) // "Service currently unavailable", inside HTTP 200
	src := h.addSource("flickr", "flickr:gophercon2026", map[string]any{"base_url": srv.URL + "/services/rest/", "tags": "gophercon2026", "token_env": "FLICKR_API_KEY", "every": "50ms"})
	m := NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1"))
	pollThroughAsynq(t, m, src.ID)
	if st := h.state(src.ID); !strings.Contains(st.LastError, "Service currently unavailable") || st.Reconnects != 1 {
		t.Errorf("stat fail inside a 200 not surfaced: %+v", st)
	}
	want := []string{"flickr:" + a, "flickr:" + b}
	h.waitFor("the photos since the event's start", func(es []live.Entry) bool {
		if hasAll(want...)(es) {
			return true
		}
		pollThroughAsynq(t, m, src.ID)
		return false
	})
	c := f.Upload("dan", "Closing", "gophercon2026", time.Time{})
	want = append(want, "flickr:"+c)
	es := h.waitFor("the new photo", func(es []live.Entry) bool {
		if hasAll(want...)(es) {
			return true
		}
		pollThroughAsynq(t, m, src.ID)
		return false
	})
	assertExactlyOnce(t, es, want...)
	reqs := f.Requests()
	start := h.eventStartUnix(t)
	if !strings.Contains(reqs[0], "min_upload_date="+start) {
		t.Errorf("first request %q does not start at the event's start %s", reqs[0], start)
	}

	// A deleted photo is found by the next sweep of everything since the
	// event's start, and hidden.
	f.Delete(b)
	if err := h.rd.Client.Do(t.Context(), h.rd.Client.B().Hdel().Key(keys{h.rd.Namespace}.cursor(src.ID)).Field("swept_at").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the deleted photo hidden", func(es []live.Entry) bool {
		if countOps(es, live.OpHide) == 1 {
			return opTarget(es, live.OpHide, 0) == seqOfItem(es, "flickr:"+b)
		}
		pollThroughAsynq(t, m, src.ID)
		return false
	})

	// A transport error names the host, never the key in the query.
	dead := h.addSource("flickr", "flickr:dead", map[string]any{"base_url": "http://127.0.0.1:1/services/rest/", "tags": "x", "token_env": "FLICKR_API_KEY"})
	pollThroughAsynq(t, m, dead.ID)
	st := h.state(dead.ID)
	if st.LastError == "" || strings.Contains(st.LastError, "test-token") {
		t.Errorf("the API key leaks into the dashboard: %q", st.LastError)
	}
}

// Two RSS feeds both number their GUIDs 1, 2, …: their entries stay
// apart. An edited entry becomes an update, a deleted one a hide; one that
// only fell off the end of the feed's window stays.
func TestFeedEntriesAreScopedPerSourceAndEditsAndDeletionsFollow(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a, b := &fakes.Feed{RSS: true, Window: 3}, &fakes.Feed{RSS: true, Window: 3}
	sa, sb := httptest.NewServer(a), httptest.NewServer(b)
	t.Cleanup(sa.Close)
	t.Cleanup(sb.Close)
	one := a.Publish("Keynote", "<p>slides</p>")
	a.Publish("Room change", "<p>Hall 2</p>")
	b.Publish("Other conference", "<p>hello</p>")
	srcA := h.addSource("feed", "feed:a", map[string]any{"url": sa.URL, "every": "1ms"})
	srcB := h.addSource("feed", "feed:b", map[string]any{"url": sb.URL, "every": "1ms"})
	m := NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1"))
	poll := func() { pollThroughAsynq(t, m, srcA.ID); pollThroughAsynq(t, m, srcB.ID) }
	poll()
	assertExactlyOnce(t, h.entries(), feedItemID(srcA.ID, "1"), feedItemID(srcA.ID, "2"), feedItemID(srcB.ID, "1"))
	time.Sleep(1100 * time.Millisecond) // Last-Modified has one-second resolution
	a.Edit(one, "Keynote (updated)", "<p>slides and video</p>")
	a.Remove(2)
	poll()
	es := h.entries()
	if countOps(es, live.OpUpdate) != 1 || countOps(es, live.OpHide) != 1 {
		t.Fatalf("want one update and one hide:\n%s", describe(es))
	}
	if opTarget(es, live.OpHide, 0) != seqOfItem(es, feedItemID(srcA.ID, "2")) {
		t.Errorf("the hide targets %d", opTarget(es, live.OpHide, 0))
	}
	// Three newer entries push entry 1 out of the three-entry window: it
	// was not deleted, so it stays visible.
	for i := range 3 {
		a.Publish(fmt.Sprintf("Later %d", i), "<p>…</p>")
	}
	poll()
	if es := h.entries(); countOps(es, live.OpHide) != 1 || countAdds(es) != 6 {
		t.Errorf("an entry that fell off the window was hidden, or adds are missing:\n%s", describe(es))
	}
}

// fakeFeed serves the Atom fixture under ETag "v1", answers 304 to a client
// that has it, and after publish a version "v2" with one more entry.
type fakeFeed struct {
	mu          sync.Mutex
	version     string
	full        int
	notModified int
	inFlight    int
	maxInFlight int
	conditional []string
	block       chan struct{}
}

func (f *fakeFeed) publish() {
	f.mu.Lock()
	f.version = "v2"
	f.mu.Unlock()
}

func (f *fakeFeed) counts() (full, notModified, maxInFlight int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.full, f.notModified, f.maxInFlight
}

func newFakeFeed(t testing.TB) (*fakeFeed, *httptest.Server) {
	f := &fakeFeed{version: "v1"}
	body := string(fixture(t, "feed.atom"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.inFlight++
		f.maxInFlight = max(f.maxInFlight, f.inFlight)
		block := f.block
		f.mu.Unlock()
		if block != nil {
			<-block
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.inFlight--
		f.conditional = append(f.conditional, r.Header.Get("If-None-Match"))
		etag := `"` + f.version + `"`
		if r.Header.Get("If-None-Match") == etag {
			f.notModified++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		f.full++
		w.Header().Set("Content-Type", "application/atom+xml")
		w.Header().Set("ETag", etag)
		b := body
		if f.version == "v2" {
			b = strings.Replace(b, "  <entry>", `  <entry>
    <id>tag:blog.gophercon.example,2024-11-20:/notes/closing</id>
    <title>Closing remarks</title>
    <link href="https://blog.gophercon.example/notes/closing/"/>
    <updated>2024-11-20T17:00:00Z</updated>
    <content type="html">&lt;p&gt;See you next year.&lt;/p&gt;</content>
  </entry>
  <entry>`, 1)
		}
		w.Write([]byte(b))
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

const (
	feedKeynote = "tag:blog.gophercon.example,2024-11-20:/notes/keynote"
	feedRoom    = "tag:blog.gophercon.example,2024-11-20:/notes/room-change"
	feedClosing = "tag:blog.gophercon.example,2024-11-20:/notes/closing"
)

func TestFeedPollTaskUsesConditionalGETAndAppendsANewEntryOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f, srv := newFakeFeed(t)
	src := h.addSource("feed", "feed:notes", map[string]any{"url": srv.URL + "/feed.atom", "every": "1ms"})
	m := NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1"))

	pollThroughAsynq(t, m, src.ID)
	feedIDs := func(keys ...string) []string {
		for i, k := range keys {
			keys[i] = feedItemID(src.ID, k)
		}
		return keys
	}
	assertExactlyOnce(t, h.entries(), feedIDs(feedKeynote, feedRoom)...)
	pollThroughAsynq(t, m, src.ID)
	f.publish()
	pollThroughAsynq(t, m, src.ID)
	pollThroughAsynq(t, m, src.ID)

	es := h.entries()
	assertExactlyOnce(t, es, feedIDs(feedKeynote, feedRoom, feedClosing)...)
	if len(es) != 3 {
		t.Errorf("log has %d entries, want the three adds only:\n%s", len(es), describe(es))
	}
	f.mu.Lock()
	if want := []string{``, `"v1"`, `"v1"`, `"v2"`}; fmt.Sprint(f.conditional) != fmt.Sprint(want) {
		t.Errorf("If-None-Match sent %q, want %q", f.conditional, want)
	}
	if f.full != 2 || f.notModified != 2 {
		t.Errorf("%d full answers and %d 304s, want 2 and 2", f.full, f.notModified)
	}
	f.mu.Unlock()
	st := h.state(src.ID)
	if !st.Connected || st.ItemsTotal != 3 || st.LastItemAt.IsZero() || st.LastError != "" || st.Holder != "w:1" {
		t.Errorf("state %+v", st)
	}
}

func TestPollTaskNeverRunsWhileTheSourceLeaseIsHeldElsewhere(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f, srv := newFakeFeed(t)
	src := h.addSource("feed", "feed:notes", map[string]any{"url": srv.URL + "/feed.atom", "every": "1ms"})
	ctx := context.Background()
	leaseKey := keys{ns: h.rd.Namespace}.lease(src.ID)

	// A runner (or a poll) of another worker holds the source.
	ok, err := acquireLease(ctx, h.rd.Client, leaseKey, "other:1", time.Minute)
	if err != nil || !ok {
		t.Fatalf("take lease: %v %v", ok, err)
	}
	m := NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1"))
	pollThroughAsynq(t, m, src.ID)
	if full, nm, _ := f.counts(); full+nm != 0 {
		t.Fatalf("polled %d times while another holder held the lease", full+nm)
	}
	if err := releaseLease(ctx, h.rd.Client, leaseKey, "other:1"); err != nil {
		t.Fatal(err)
	}

	// Five workers run the same period's task at once (the feed answers
	// only when all have tried): one polls, the others skip.
	f.mu.Lock()
	f.block = make(chan struct{})
	f.mu.Unlock()
	var wg sync.WaitGroup
	var skipped atomic.Int32
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions(fmt.Sprintf("w:%d", i)))
			pollThroughAsynq(t, w, src.ID)
			skipped.Add(1)
		}()
	}
	// The feed answers only once the four others have tried and skipped;
	// released earlier, a slow worker would find the lease free again and
	// poll in the next period, which is not what this test is about.
	eventually(t, "one poll in flight, four skipped", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.inFlight == 1 && skipped.Load() == 4
	})
	close(f.block)
	wg.Wait()
	full, nm, maxInFlight := f.counts()
	if maxInFlight != 1 || full+nm != 1 {
		t.Errorf("%d requests, at most %d at once; want exactly one", full+nm, maxInFlight)
	}
	assertExactlyOnce(t, h.entries(), feedItemID(src.ID, feedKeynote), feedItemID(src.ID, feedRoom))
	if holder, _, err := leaseHolder(ctx, h.rd.Client, leaseKey); err != nil || holder != "" {
		t.Errorf("lease left behind after the poll: %q %v", holder, err)
	}
}

func TestPollTaskOfADisabledSourceDoesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f, srv := newFakeFeed(t)
	src := h.addSource("feed", "feed:notes", map[string]any{"url": srv.URL + "/feed.atom"})
	if err := h.db.DB.Exec("UPDATE sources SET enabled = false WHERE id = ?", src.ID).Error; err != nil {
		t.Fatal(err)
	}
	m := NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1"))
	pollThroughAsynq(t, m, src.ID)
	if full, nm, _ := f.counts(); full+nm != 0 {
		t.Errorf("a disabled source was polled")
	}
	mux := asynq.NewServeMux()
	RegisterPollHandlers(mux, m)
	if err := mux.ProcessTask(context.Background(), asynq.NewTask(TypePoll, []byte(`{"source_id":"x"}`))); !errors.Is(err, asynq.SkipRetry) {
		t.Errorf("malformed payload: %v, want SkipRetry", err)
	}
}

func TestManagerLeavesPolledSourcesToThePollTasks(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f, srv := newFakeFeed(t)
	feed := h.addSource("feed", "feed:notes", map[string]any{"url": srv.URL + "/feed.atom", "every": "10ms"})
	h.addSource("replay", "replay", map[string]any{"every": "20ms"})
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1")))
	h.waitFor("replay items", func(es []live.Entry) bool { return countAdds(es) >= 5 })
	if full, nm, _ := f.counts(); full+nm != 0 {
		t.Errorf("the manager's runners polled a feed source %d times", full+nm)
	}
	if st := h.state(feed.ID); st.Holder != "" {
		t.Errorf("a runner reported state for the feed source: %+v", st)
	}
}

func TestPollProviderSchedulesOneTaskPerEnabledPolledSource(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	feed := h.addSource("feed", "feed:a", map[string]any{"url": "https://example.org/a.atom", "every": "5m"})
	flickr := h.addSource("flickr", "flickr:go", map[string]any{"base_url": "https://api.flickr.com/services/rest", "tags": "go"})
	off := h.addSource("feed", "feed:b", map[string]any{"url": "https://example.org/b.atom"})
	if err := h.db.DB.Exec("UPDATE sources SET enabled = false WHERE id = ?", off.ID).Error; err != nil {
		t.Fatal(err)
	}
	h.addSource("mastodon", "mastodon:go", map[string]any{"instance": "https://example.social", "tag": "go"})
	h.addSource("replay", "replay", map[string]any{})

	configs, err := NewPollProvider(h.db.DB).GetConfigs()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range configs {
		if c.Task.Type() != TypePoll {
			t.Errorf("task type %q", c.Task.Type())
		}
		got[string(c.Task.Payload())] = c.Cronspec
	}
	want := map[string]string{
		fmt.Sprintf(`{"source_id":%d}`, feed.ID):   "@every 5m0s",
		fmt.Sprintf(`{"source_id":%d}`, flickr.ID): "@every 2m0s",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("configs %v, want %v", got, want)
	}
}

func TestPollTaskWaitsThreeQuartersOfTheIntervalUnlessAReconnectIsRequested(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f, srv := newFakeFeed(t)
	src := h.addSource("feed", "feed:notes", map[string]any{"url": srv.URL + "/feed.atom", "every": "1h"})
	m := NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1"))
	// Three workers' schedulers fire within the same interval.
	for range 3 {
		pollThroughAsynq(t, m, src.ID)
	}
	if full, nm, _ := f.counts(); full+nm != 1 {
		t.Errorf("polled %d times within one interval, want once", full+nm)
	}
	// An admin asks for a reconnect: the next task polls at once.
	if err := RequestReconnect(context.Background(), h.rd.Client, h.rd.Namespace, src.ID); err != nil {
		t.Fatal(err)
	}
	pollThroughAsynq(t, m, src.ID)
	pollThroughAsynq(t, m, src.ID)
	if full, nm, _ := f.counts(); full+nm != 2 {
		t.Errorf("after a reconnect request: %d polls, want 2", full+nm)
	}
	// An admin shortens the interval: the old schedule no longer holds.
	if err := h.db.DB.Exec(`UPDATE sources SET config = '{"url": "`+srv.URL+`/feed.atom", "every": "1ms"}' WHERE id = ?`, src.ID).Error; err != nil {
		t.Fatal(err)
	}
	pollThroughAsynq(t, m, src.ID)
	if full, nm, _ := f.counts(); full+nm != 3 {
		t.Errorf("after shortening the interval: %d polls, want 3", full+nm)
	}
}
