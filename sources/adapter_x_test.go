package sources

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeX speaks the filtered stream: the rules endpoint and a chunked NDJSON
// stream built from the fixture, whose matching_rules carry the tags of the
// rules registered (as X does).
type fakeX struct {
	mu      sync.Mutex
	rules   []xRule
	posts   int
	conns   []time.Time
	tweets  [][]byte // the fixture's two tweets
	discon  []byte   // the fixture's operational-disconnect
	script  func(n int, w http.ResponseWriter, r *http.Request, f *fakeX)
	authBad bool
}

func newFakeX(t *testing.T) (*fakeX, *httptest.Server) {
	f := &fakeX{}
	for _, l := range bytes.Split(fixture(t, "x_stream.ndjson"), []byte("\n")) {
		l = bytes.TrimSpace(l)
		switch {
		case bytes.HasPrefix(l, []byte(`{"data"`)):
			f.tweets = append(f.tweets, l)
		case bytes.HasPrefix(l, []byte(`{"errors"`)):
			f.discon = l
		}
	}
	// Another app's rule, which the source must leave alone.
	f.rules = []xRule{{ID: "1", Value: "golang", Tag: "other"}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2/tweets/search/stream/rules", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"data": f.rules})
	})
	mux.HandleFunc("POST /2/tweets/search/stream/rules", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Add []xRule `json:"add"`
		}
		_ = json.NewDecoder(r.Body).Decode(&body)
		f.mu.Lock()
		f.posts++
		for i, rl := range body.Add {
			rl.ID = fmt.Sprintf("18592000000000000%02d", len(f.rules)+i)
			f.rules = append(f.rules, rl)
		}
		f.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"data":[],"meta":{"sent":"2024-11-20T14:00:00.000Z","summary":{"created":1,"not_created":0,"valid":1,"invalid":0}}}`)
	})
	mux.HandleFunc("GET /2/tweets/search/stream", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.conns = append(f.conns, time.Now())
		n := len(f.conns)
		if r.Header.Get("Authorization") != "Bearer test-token" || !strings.Contains(r.URL.Query().Get("expansions"), "attachments.media_keys") {
			f.authBad = true
		}
		f.mu.Unlock()
		f.script(n, w, r, f)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

// tweet returns fixture tweet i with matching_rules set to the given tags.
func (f *fakeX) tweet(i int, tags ...string) []byte {
	var m map[string]any
	_ = json.Unmarshal(f.tweets[i], &m)
	var rules []map[string]any
	for _, tag := range tags {
		rules = append(rules, map[string]any{"id": "1", "tag": tag})
	}
	m["matching_rules"] = rules
	b, _ := json.Marshal(m)
	return b
}

func (f *fakeX) ourTag() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.rules {
		if strings.HasPrefix(r.Tag, "source:") {
			return r.Tag
		}
	}
	return "none"
}

func xLine(w http.ResponseWriter, b []byte) {
	w.Write(append(b, '\r', '\n'))
	w.(http.Flusher).Flush()
}

func TestXStreamSurvivesCutsRateLimitsAndDisconnectsWithEveryTweetOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f, srv := newFakeX(t)
	f.script = func(n int, w http.ResponseWriter, r *http.Request, f *fakeX) {
		tag := f.ourTag()
		switch n {
		case 1:
			w.WriteHeader(http.StatusOK)
			xLine(w, f.tweet(0, tag))
			xLine(w, nil) // keep-alive
			xLine(w, nil)
			xLine(w, f.tweet(1, "other")) // matches another app's rule only
			w.Write(f.tweet(1, tag)[:50])
			abort(w)
		case 2:
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"title":"Too Many Requests"}`, http.StatusTooManyRequests)
		case 3:
			w.WriteHeader(http.StatusOK)
			xLine(w, []byte(`{"data":`)) // malformed
			xLine(w, f.tweet(0, tag))    // a duplicate
			xLine(w, f.tweet(1, "other", tag))
			xLine(w, f.discon)
			holdOpen(w, r, "\r\n")
		default:
			w.WriteHeader(http.StatusOK)
			holdOpen(w, r, "\r\n")
		}
	}
	src := h.addSource("x", "x:rule", map[string]any{"base_url": srv.URL, "rule": "#gophercon2026 -is:retweet", "token_env": "X_BEARER_TOKEN"})
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1")))
	want := []string{"x:1859243311427584001", "x:1859243390000000002"}
	h.waitFor("both tweets", hasAll(want...))
	st := h.waitState("the operational disconnect handled", src.ID, func(s State) bool { return s.Reconnects >= 3 })
	es := h.entries()
	assertExactlyOnce(t, es, want...)
	a := es[0].Item
	if a.Author.Handle != "@ada_dev" || len(a.Media) != 1 {
		t.Errorf("tweet not joined with includes: %+v", a)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if wait := f.conns[2].Sub(f.conns[1]); wait < time.Second {
		t.Errorf("reconnected %v after a 429 with Retry-After: 1", wait)
	}
	if f.posts != 1 || len(f.rules) != 2 || f.rules[1].Value != "#gophercon2026 -is:retweet" || f.rules[0].Tag != "other" {
		t.Errorf("rules: %d posts, %+v", f.posts, f.rules)
	}
	if f.authBad {
		t.Errorf("stream request without bearer token or expansions")
	}
	if st.BadPayloads < 1 {
		t.Errorf("malformed line not counted: %+v", st)
	}
}
