package realtime

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/live"
)

func (e *liveEnv) postPath() string { return "/api/events/" + e.ev.Slug + "/posts" }

func TestPostToAnOpenEventIsAppendedAndAnswered201(t *testing.T) {
	e := newLiveEnv(t, "open", nil)
	a := e.call(t, http.MethodPost, e.postPath(), NewClientID(), "application/json",
		`{"name": " Ana ", "text": "<b>hi</b> see https://example.org/x."}`).expect(t, http.StatusCreated)
	item, _ := a.body["item"].(map[string]any)
	if a.num("seq") != 1 || a.body["op"] != "add" || item == nil || a.body["held"] != nil {
		t.Fatalf("answer %s, want the entry of seq 1", a.raw)
	}
	if !strings.HasPrefix(item["id"].(string), "room:") || item["source"] != "room" || item["kind"] != "post" ||
		item["author"].(map[string]any)["name"] != "Ana" || item["text"] != "<b>hi</b> see https://example.org/x." ||
		item["html"] != `&lt;b&gt;hi&lt;/b&gt; see <a href="https://example.org/x" rel="nofollow noopener">https://example.org/x</a>.` {
		t.Fatalf("item %v", item)
	}
	es, err := e.log.Range(context.Background(), e.ev.ID, 0, 10)
	if err != nil || len(es) != 1 || es[0].Item.ID != item["id"] {
		t.Fatalf("log holds %v (err %v), want the post", es, err)
	}
	p := e.get(t, e.livePath("?since=0"), "").expect(t, http.StatusOK)
	if !equalSeqs(seqsOf(p.list("entries")), []int64{1}) {
		t.Fatalf("public page %s does not show the post", p.raw)
	}
}

func TestPostAsAFormIsAccepted(t *testing.T) {
	e := newLiveEnv(t, "open", nil)
	form := url.Values{"name": {"Bo"}, "text": {"from a form"}}.Encode()
	a := e.call(t, http.MethodPost, e.postPath(), "", "application/x-www-form-urlencoded", form).expect(t, http.StatusCreated)
	if a.body["item"].(map[string]any)["text"] != "from a form" {
		t.Fatalf("answer %s", a.raw)
	}
}

func TestPostToAModeratedEventIsHeld202(t *testing.T) {
	e := newLiveEnv(t, "moderated", nil)
	a := e.call(t, http.MethodPost, e.postPath(), "", "application/json", `{"name":"Ana","text":"please approve"}`).
		expect(t, http.StatusAccepted)
	if a.body["held"] != true || a.num("seq") != 1 || a.body["item"].(map[string]any)["held"] != true {
		t.Fatalf("answer %s, want held: true with the entry", a.raw)
	}
	p := e.get(t, e.livePath("?since=0&wait=0"), "").expect(t, http.StatusOK)
	if len(p.list("entries")) != 0 || p.num("next") != 1 {
		t.Fatalf("public page %s shows a held post", p.raw)
	}
	s := e.get(t, e.livePath(""), "").expect(t, http.StatusOK)
	if len(s.list("items")) != 0 {
		t.Fatalf("snapshot %s shows a held post", s.raw)
	}
}

func TestPostToAClosedEventIs403(t *testing.T) {
	e := newLiveEnv(t, "closed", nil)
	e.call(t, http.MethodPost, e.postPath(), "", "application/json", `{"name":"Ana","text":"hi"}`).expect(t, http.StatusForbidden)
	if _, head, _ := e.log.Head(context.Background(), e.ev.ID); head != 0 {
		t.Fatalf("a refused post reached the log (head %d)", head)
	}
}

func TestInvalidPostsAre400NamingTheField(t *testing.T) {
	e := newLiveEnv(t, "open", nil)
	cases := []struct{ ct, body, field string }{
		{"application/json", `{"name":"","text":"hi"}`, "name"},
		{"application/json", `{"text":"hi"}`, "name"},
		{"application/json", `{"name":"` + strings.Repeat("é", 41) + `","text":"hi"}`, "name"},
		{"application/json", `{"name":"Ana","text":"   "}`, "text"},
		{"application/json", `{"name":"Ana","text":"` + strings.Repeat("x", 501) + `"}`, "text"},
		{"application/json", "{\"name\":\"Ana\",\"text\":\"bad \xff byte\"}", "text"},
		{"application/json", "{\"name\":\"A\xc3\",\"text\":\"hi\"}", "name"},
		{"application/json", `{"name":"Ana","text":42}`, "text"},
		{"application/json", `{"name":"Ana","text":"nul \u0000"}`, "text"},
		{"application/x-www-form-urlencoded", "name=Ana&text=%FF", "text"},
		{"application/json", `[1,2]`, "json"},
	}
	for _, tc := range cases {
		a := e.call(t, http.MethodPost, e.postPath(), "", tc.ct, tc.body).expect(t, http.StatusBadRequest)
		if msg := strings.ToLower(a.body["error"].(string)); !strings.Contains(msg, tc.field) {
			t.Errorf("%s: error %q does not name %s", tc.body, msg, tc.field)
		}
	}
	if _, head, _ := e.log.Head(context.Background(), e.ev.ID); head != 0 {
		t.Fatalf("an invalid post reached the log (head %d)", head)
	}
}

func TestPostsPastTheRateAre429WithRetryAfter(t *testing.T) {
	e := newLiveEnv(t, "open", func(d *HandlerDeps) { d.PostRate = RateLimit{Count: 2, Period: time.Minute} })
	client := NewClientID()
	for range 2 {
		e.call(t, http.MethodPost, e.postPath(), client, "application/json", `{"name":"Ana","text":"hi"}`).expect(t, http.StatusCreated)
	}
	a := e.call(t, http.MethodPost, e.postPath(), client, "application/json", `{"name":"Ana","text":"hi"}`).
		expect(t, http.StatusTooManyRequests)
	if ra := a.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("Retry-After %q", ra)
	}
	e.call(t, http.MethodPost, e.postPath(), NewClientID(), "application/json", `{"name":"Bo","text":"hi"}`).expect(t, http.StatusCreated)
}

func TestARetriedPostWithAnIdempotencyKeyIsStoredOnce(t *testing.T) {
	e := newLiveEnv(t, "open", nil)
	client := NewClientID()
	first := e.call(t, http.MethodPost, e.postPath(), client, "application/json", `{"name":"Ana","text":"once"}`,
		"Idempotency-Key", "k-123").expect(t, http.StatusCreated)
	time.Sleep(5 * time.Millisecond)
	again := e.call(t, http.MethodPost, e.postPath(), client, "application/json", `{"name":"Ana","text":"once"}`,
		"Idempotency-Key", "k-123").expect(t, http.StatusCreated)
	if first.raw != again.raw {
		t.Fatalf("retry answered\n%s\nnot the first entry\n%s", again.raw, first.raw)
	}
	form := url.Values{"name": {"Ana"}, "text": {"twice?"}, "client_post_id": {"k-9"}}.Encode()
	b1 := e.call(t, http.MethodPost, e.postPath(), client, "application/x-www-form-urlencoded", form).expect(t, http.StatusCreated)
	b2 := e.call(t, http.MethodPost, e.postPath(), client, "application/x-www-form-urlencoded", form).expect(t, http.StatusCreated)
	if b1.num("seq") != 2 || b2.num("seq") != 2 {
		t.Fatalf("client_post_id retry got seqs %d and %d, want 2 and 2", b1.num("seq"), b2.num("seq"))
	}
	other := e.call(t, http.MethodPost, e.postPath(), NewClientID(), "application/json", `{"name":"Bo","text":"once"}`,
		"Idempotency-Key", "k-123").expect(t, http.StatusCreated)
	if other.num("seq") != 3 {
		t.Fatalf("another client's same key was collapsed: seq %d", other.num("seq"))
	}
	e.call(t, http.MethodPost, e.postPath(), client, "application/json", `{"name":"Ana","text":"x"}`,
		"Idempotency-Key", "has space").expect(t, http.StatusBadRequest)
}

func TestAPostBlockedByModerationIsLoggedHiddenAndNotShown(t *testing.T) {
	e := newLiveEnv(t, "open", func(d *HandlerDeps) {
		d.Moderate = func(_ context.Context, _ int64, it *live.Item) error {
			it.Hidden = strings.Contains(it.Text, "spam")
			return nil
		}
	})
	a := e.call(t, http.MethodPost, e.postPath(), "", "application/json", `{"name":"Eve","text":"buy spam"}`).expect(t, http.StatusCreated)
	if a.body["item"].(map[string]any)["hidden"] != nil {
		t.Fatalf("answer %s tells the poster the post is hidden", a.raw)
	}
	es, err := e.log.Range(context.Background(), e.ev.ID, 0, 10)
	if err != nil || len(es) != 1 || !es[0].Item.Hidden {
		t.Fatalf("log holds %+v (err %v), want the post, hidden", es, err)
	}
	p := e.get(t, e.livePath("?since=0&wait=0"), "").expect(t, http.StatusOK)
	if len(p.list("entries")) != 0 {
		t.Fatalf("public page %s shows a blocked post", p.raw)
	}
}
