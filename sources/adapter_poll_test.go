package sources

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backchannel/backchannel/live"
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

func TestFlickrPollsFromTheNewestUploadAndDedupesTheBoundary(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var mu sync.Mutex
	var minDates []string
	badKey := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		mu.Lock()
		defer mu.Unlock()
		if q.Get("method") != "flickr.photos.search" || q.Get("tags") != "gophercon2026" || q.Get("nojsoncallback") != "1" {
			http.Error(w, "bad query", http.StatusBadRequest)
			return
		}
		if badKey {
			// The first answer is Flickr's error shape (HTTP 200).
			badKey = false
			fmt.Fprint(w, `{"stat":"fail","code":100,"message":"Invalid API Key (Key has invalid format)"}`)
			return
		}
		minDates = append(minDates, q.Get("min_upload_date"))
		if q.Get("min_upload_date") == "" {
			w.Write(fixture(t, "flickr_search.json"))
			return
		}
		// Later polls: the boundary photo again (min_upload_date is inclusive) and a new one.
		var a map[string]any
		_ = json.Unmarshal(fixture(t, "flickr_search.json"), &a)
		photos := a["photos"].(map[string]any)
		list := photos["photo"].([]any)
		extra := map[string]any{}
		for k, v := range list[2].(map[string]any) {
			extra[k] = v
		}
		extra["id"], extra["dateupload"], extra["title"] = "54150999999", "1732111700", "Closing party"
		photos["photo"] = []any{list[2], extra}
		_ = json.NewEncoder(w).Encode(a)
	}))
	t.Cleanup(srv.Close)
	src := h.addSource("flickr", "flickr:gophercon2026", map[string]any{"base_url": srv.URL, "tags": "gophercon2026", "token_env": "FLICKR_API_KEY", "every": "50ms"})
	m := NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1"))
	want := []string{"flickr:54152047751", "flickr:54151876402", "flickr:54150999003", "flickr:54150999999"}
	es := h.waitFor("four photos", func(es []live.Entry) bool {
		if hasAll(want...)(es) {
			return true
		}
		pollThroughAsynq(t, m, src.ID)
		return false
	})
	assertExactlyOnce(t, es, want...)
	if es[0].Item.Kind != live.KindPhoto || len(es[0].Item.Media) != 1 {
		t.Errorf("photo item %+v", es[0].Item)
	}
	mu.Lock()
	if len(minDates) < 2 || minDates[1] != "1732111600" {
		t.Errorf("min_upload_date sequence %v", minDates)
	}
	mu.Unlock()
	st := h.state(src.ID)
	if st.Reconnects < 1 || !strings.Contains(st.LastError, "Invalid API Key") {
		t.Errorf("stat fail not surfaced: %+v", st)
	}
	if !st.Connected || st.ItemsTotal != 4 || st.Holder != "w:1" {
		t.Errorf("state after good polls %+v", st)
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
	feedKeynote = "feed:tag:blog.gophercon.example,2024-11-20:/notes/keynote"
	feedRoom    = "feed:tag:blog.gophercon.example,2024-11-20:/notes/room-change"
	feedClosing = "feed:tag:blog.gophercon.example,2024-11-20:/notes/closing"
)

func TestFeedPollTaskUsesConditionalGETAndAppendsANewEntryOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f, srv := newFakeFeed(t)
	src := h.addSource("feed", "feed:notes", map[string]any{"url": srv.URL + "/feed.atom", "every": "1ms"})
	m := NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1"))

	pollThroughAsynq(t, m, src.ID)
	assertExactlyOnce(t, h.entries(), feedKeynote, feedRoom)
	pollThroughAsynq(t, m, src.ID)
	f.publish()
	pollThroughAsynq(t, m, src.ID)
	pollThroughAsynq(t, m, src.ID)

	es := h.entries()
	assertExactlyOnce(t, es, feedKeynote, feedRoom, feedClosing)
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
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions(fmt.Sprintf("w:%d", i)))
			pollThroughAsynq(t, w, src.ID)
		}()
	}
	eventually(t, "one poll in flight", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.inFlight == 1
	})
	close(f.block)
	wg.Wait()
	full, nm, maxInFlight := f.counts()
	if maxInFlight != 1 || full+nm != 1 {
		t.Errorf("%d requests, at most %d at once; want exactly one", full+nm, maxInFlight)
	}
	assertExactlyOnce(t, h.entries(), feedKeynote, feedRoom)
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
