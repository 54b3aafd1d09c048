package realtime

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/internal/apitest"
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

// postScenario is a post to the env's event and what it must append.
func (e *liveEnv) postScenario(name, contentType, body string, status int, ops []string, content ...string) apitest.Scenario {
	return apitest.Scenario{Name: name, Method: http.MethodPost, Path: e.postPath(),
		Headers: map[string]string{"Content-Type": contentType}, Body: body, ExpectedStatus: status,
		ExpectedHeaders: map[string]string{"Cache-Control": "no-store", "Content-Type": "application/json"},
		ExpectedContent: content,
		ExpectedLog:     []apitest.Appended{{EventID: e.ev.ID, Ops: ops}}}
}

func TestPostAsAFormIsAccepted(t *testing.T) {
	open := newLiveEnv(t, "open", nil)
	form := url.Values{"name": {"Bo"}, "text": {"from a form"}}.Encode()
	apitest.Run(t, open.api(), open.postScenario("form", "application/x-www-form-urlencoded", form, http.StatusCreated,
		[]string{live.OpAdd}, `"text":"from a form"`))
}

func TestPostToAClosedEventIs403AndAppendsNothing(t *testing.T) {
	closed := newLiveEnv(t, "closed", nil)
	apitest.Run(t, closed.api(), closed.postScenario("closed event", "application/json", `{"name":"Ana","text":"hi"}`,
		http.StatusForbidden, nil, `{"error":"Posting is closed for this event."}`))
}

// The event of newLiveEnv ends an hour from now; posting closes
// PostingGrace (30 minutes by default) after that.
func TestPostsCloseWhenTheEventEndsAfterTheGracePeriod(t *testing.T) {
	at := func(d time.Duration) func(*HandlerDeps) {
		return func(h *HandlerDeps) { h.Now = func() time.Time { return time.Now().Add(d) } }
	}
	for _, tc := range []struct {
		name   string
		tweak  func(*HandlerDeps)
		status int
		ops    []string
		want   []string
	}{
		{"ended 20 minutes ago: within the grace", at(80 * time.Minute), http.StatusCreated, []string{live.OpAdd}, nil},
		{"ended an hour ago", at(2 * time.Hour), http.StatusForbidden, nil, []string{`{"error":"Posting closed when this event ended (at `}},
		{"ended an hour ago, a grace of three hours", func(h *HandlerDeps) { at(2 * time.Hour)(h); h.PostingGrace = 3 * time.Hour },
			http.StatusCreated, []string{live.OpAdd}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newLiveEnv(t, "open", tc.tweak)
			apitest.Run(t, e.api(), e.postScenario(tc.name, "application/json", `{"name":"Ana","text":"thanks all"}`,
				tc.status, tc.ops, tc.want...))
		})
	}
}

func TestInvalidPostsAre400NamingTheFieldAndAppendNothing(t *testing.T) {
	e := newLiveEnv(t, "open", nil)
	var scenarios []apitest.Scenario
	for _, tc := range []struct{ name, ct, body, says string }{
		{"empty name", "application/json", `{"name":"","text":"hi"}`, "The name"},
		{"no name", "application/json", `{"text":"hi"}`, "The name"},
		{"long name", "application/json", `{"name":"` + strings.Repeat("é", 41) + `","text":"hi"}`, "The name"},
		{"blank text", "application/json", `{"name":"Ana","text":"   "}`, "The text"},
		{"long text", "application/json", `{"name":"Ana","text":"` + strings.Repeat("x", 501) + `"}`, "The text"},
		{"bad UTF-8 text", "application/json", "{\"name\":\"Ana\",\"text\":\"bad \xff byte\"}", "The text"},
		{"bad UTF-8 name", "application/json", "{\"name\":\"A\xc3\",\"text\":\"hi\"}", "The name"},
		{"number text", "application/json", `{"name":"Ana","text":42}`, "The text"},
		{"NUL in text", "application/json", `{"name":"Ana","text":"nul \u0000"}`, "The text"},
		{"bad UTF-8 form", "application/x-www-form-urlencoded", "name=Ana&text=%FF", "The text"},
		{"not an object", "application/json", `[1,2]`, "JSON"},
	} {
		scenarios = append(scenarios, e.postScenario(tc.name, tc.ct, tc.body, http.StatusBadRequest, nil, `{"error":"`, tc.says))
	}
	apitest.Run(t, e.api(), scenarios...)
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
		d.Moderate = func(_ context.Context, _ int64, it *live.Item, _ live.Poster) error {
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
