package sources

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/backchannel/backchannel/live"
)

const (
	didAda   = "did:plc:q6gjnaw2blty4crticxkmujt"
	didBo    = "did:plc:rfov6bpyztcnedeyyzgfq42k"
	postAda  = "bluesky:at://did:plc:q6gjnaw2blty4crticxkmujt/app.bsky.feed.post/3lbfk2vuowo2b"
	postBo   = "bluesky:at://did:plc:rfov6bpyztcnedeyyzgfq42k/app.bsky.feed.post/3lbfk339z2k2d"
	postAda2 = "bluesky:at://did:plc:q6gjnaw2blty4crticxkmujt/app.bsky.feed.post/3lbfzzzzzzz2b"
)

// fakeAppView answers app.bsky.actor.getProfiles for Ada (with a display
// name and avatar) and Bo (handle only), after delay, or with status.
type fakeAppView struct {
	mu       sync.Mutex
	requests [][]string
	delay    time.Duration
	status   int
}

func (f *fakeAppView) actorsRequested() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]string(nil), f.requests...)
}

func newFakeAppView(t *testing.T) (*fakeAppView, *httptest.Server) {
	f := &fakeAppView{}
	profiles := map[string]map[string]string{
		didAda: {"did": didAda, "handle": "ada.example.com", "displayName": "Ada  Lovelace\n", "avatar": "https://cdn.bsky.app/img/avatar/plain/ada@jpeg"},
		didBo:  {"did": didBo, "handle": "Bo.bsky.social"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/xrpc/app.bsky.actor.getProfiles" {
			http.NotFound(w, r)
			return
		}
		actors := r.URL.Query()["actors"]
		f.mu.Lock()
		f.requests = append(f.requests, actors)
		delay, status := f.delay, f.status
		f.mu.Unlock()
		time.Sleep(delay)
		if status != 0 {
			http.Error(w, `{"error":"InternalServerError"}`, status)
			return
		}
		out := []map[string]string{}
		for _, a := range actors {
			if p, ok := profiles[a]; ok {
				out = append(out, p)
			}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"profiles": out})
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

// blueskyWithAppView adds a Bluesky source whose Jetstream sends the
// fixture's first three messages on every connection (and, from the second
// connection on, a new post by Ada) and whose AppView is appView.
func blueskyWithAppView(t *testing.T, h *harness, appView string) {
	f, srv := newFakeJetstream(t)
	f.script = func(n int, conn *websocket.Conn, cursor int64, f *fakeJetstream) {
		for _, l := range f.lines[:3] {
			f.send(conn, l)
		}
		if n > 1 {
			f.send(conn, []byte(strings.Replace(strings.Replace(string(f.lines[0]), "3lbfk2vuowo2b", "3lbfzzzzzzz2b", 1), "1732111407329308", "1732111500000000", 1)))
		}
		_, _, _ = conn.Read(context.Background())
	}
	endpoint := "ws" + strings.TrimPrefix(srv.URL, "http") + "/subscribe"
	h.addSource("bluesky", "bluesky:gophercon", map[string]any{"endpoint": endpoint, "keywords": []string{"#GopherCon2026"}, "profile_base": appView})
}

func authorOf(es []live.Entry, op, id string) (live.Author, bool) {
	for _, e := range es {
		if e.Op == op && e.Item != nil && e.Item.ID == id {
			return e.Item.Author, true
		}
	}
	return live.Author{}, false
}

func TestBlueskyAuthorsComeFromTheAppViewOnceAndFromRedisAfterATakeover(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	av, avSrv := newFakeAppView(t)
	blueskyWithAppView(t, h, avSrv.URL)
	// A wait long enough that every profile arrives in time here.
	opts := h.fastOptions("w:a")
	opts.BlueskyProfileWait = 10 * time.Second
	stopA := h.start(NewManager(h.db.DB, h.rd.Client, h.log, opts))
	es := h.waitFor("two posts", hasAll(postAda, postBo))
	ada, _ := authorOf(es, live.OpAdd, postAda)
	want := live.Author{Name: "Ada Lovelace", Handle: "@ada.example.com", URL: "https://bsky.app/profile/ada.example.com", AvatarURL: "https://cdn.bsky.app/img/avatar/plain/ada@jpeg"}
	if ada != want {
		t.Errorf("Ada's post author %+v, want %+v", ada, want)
	}
	bo, _ := authorOf(es, live.OpAdd, postBo)
	if want := (live.Author{Name: "bo.bsky.social", Handle: "@bo.bsky.social", URL: "https://bsky.app/profile/bo.bsky.social"}); bo != want {
		t.Errorf("Bo's post author %+v, want %+v", bo, want)
	}
	if n := countOps(es, live.OpUpdate); n != 0 {
		t.Errorf("%d updates although the AppView answered in time", n)
	}
	ttl, err := h.rd.Client.Do(context.Background(), h.rd.Client.B().Ttl().Key(h.rd.Namespace+"sources:bsky:profile:"+didAda).Build()).AsInt64()
	if err != nil || ttl <= 0 || ttl > 3600 {
		t.Errorf("Ada's profile in Redis has TTL %d (%v), want within the hour", ttl, err)
	}
	stopA()

	// Another worker takes over with an empty memory: Ada's new post is
	// resolved from Redis, not from the AppView.
	opts.Holder = "w:b"
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, opts))
	es = h.waitFor("Ada's second post", hasAll(postAda2))
	assertExactlyOnce(t, es, postAda, postBo, postAda2)
	if got, _ := authorOf(es, live.OpAdd, postAda2); got != want {
		t.Errorf("after takeover Ada's author %+v, want %+v", got, want)
	}
	seen := map[string]int{}
	for _, req := range av.actorsRequested() {
		if len(req) > profileBatchMax {
			t.Errorf("one request asked for %d actors", len(req))
		}
		for _, a := range req {
			seen[a]++
		}
	}
	if seen[didAda] != 1 || seen[didBo] != 1 || len(seen) != 2 {
		t.Errorf("AppView asked for %v, want each author exactly once", seen)
	}
}

func TestSlowAppViewNeverHoldsPostsBackAndTheAuthorFollowsAsAnUpdate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	av, avSrv := newFakeAppView(t)
	av.delay = 1500 * time.Millisecond
	blueskyWithAppView(t, h, avSrv.URL)
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:a")))
	es := h.waitFor("both authors updated", func(es []live.Entry) bool {
		_, a := authorOf(es, live.OpUpdate, postAda)
		_, b := authorOf(es, live.OpUpdate, postBo)
		return a && b
	})
	// Posts first, each with its DID as author...
	for id, did := range map[string]string{postAda: didAda, postBo: didBo} {
		if got, _ := authorOf(es, live.OpAdd, id); got.Name != did || got.URL != "https://bsky.app/profile/"+did {
			t.Errorf("post %s added with author %+v, want its DID", id, got)
		}
	}
	// ...then one update each, with the profile, targeting the post.
	for _, e := range es {
		if e.Op == live.OpUpdate && e.Target != seqOfItem(es, e.Item.ID) {
			t.Errorf("update %d targets %d, not its post", e.Seq, e.Target)
		}
	}
	if got, _ := authorOf(es, live.OpUpdate, postAda); got.Handle != "@ada.example.com" || got.Name != "Ada Lovelace" {
		t.Errorf("updated author %+v", got)
	}
	if n := countOps(es, live.OpUpdate); n != 2 {
		t.Errorf("%d updates, want 2", n)
	}
}

func TestFailingAppViewLeavesTheDIDAsAuthorAndTheStreamGoesOn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	av, avSrv := newFakeAppView(t)
	av.status = http.StatusInternalServerError
	blueskyWithAppView(t, h, avSrv.URL)
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:a")))
	es := h.waitFor("both posts", hasAll(postAda, postBo))
	for id, did := range map[string]string{postAda: didAda, postBo: didBo} {
		if got, _ := authorOf(es, live.OpAdd, id); got.Name != did {
			t.Errorf("post %s author %+v, want its DID", id, got)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := countOps(h.entries(), live.OpUpdate); n != 0 {
		t.Errorf("%d updates without any profile", n)
	}
	if n := len(av.actorsRequested()); n != 1 {
		t.Errorf("AppView asked %d times; after a failure it is left alone for a while", n)
	}
}

func TestParseProfilesKeepsOnlyUsableFields(t *testing.T) {
	got, err := parseProfiles([]byte(`{"profiles":[
		{"did":"did:plc:a","handle":" A.Example.COM ","displayName":" A\n b ","avatar":"javascript:alert(1)"},
		{"did":"not-a-did","handle":"x.example"},
		{"did":"did:plc:c","handle":"bad/handle","avatar":"https://cdn.example/c.jpg"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := (bskyProfile{Handle: "a.example.com", Name: "A b"}); got["did:plc:a"] != want {
		t.Errorf("a: %+v", got["did:plc:a"])
	}
	if _, ok := got["not-a-did"]; ok || len(got) != 2 {
		t.Errorf("profiles %+v", got)
	}
	if a := got["did:plc:c"].author("did:plc:c"); a.Name != "did:plc:c" {
		t.Errorf("a bad handle must leave the DID as author: %+v", a)
	}
	if _, err := parseProfiles([]byte(`{"profiles":`)); err == nil {
		t.Error("truncated JSON accepted")
	}
}

func FuzzParseProfiles(f *testing.F) {
	f.Add([]byte(`{"profiles":[{"did":"did:plc:a","handle":"a.bsky.social","displayName":"A","avatar":"https://x/y"}]}`))
	f.Add([]byte(`{"profiles":[{"did":"did:plc:a","handle":"handle.invalid"}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := parseProfiles(b)
		if err != nil {
			return
		}
		for did, p := range ps {
			a := p.author(did)
			if !strings.HasPrefix(a.URL, "https://bsky.app/profile/") {
				t.Fatalf("author URL %q", a.URL)
			}
			if a.AvatarURL != "" && SafeURL(a.AvatarURL) == "" {
				t.Fatalf("avatar %q", a.AvatarURL)
			}
		}
	})
}
