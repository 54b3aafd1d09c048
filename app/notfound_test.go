package app

import (
	"net/http"
	"testing"

	"github.com/backchannel/backchannel/internal/apitest"
)

// TestAMissingEventReadsTheSameOnEveryRoute asks the live API, the archive,
// the events API, the posts and the pages for an event that does not exist:
// each says `There is no event "nope".`, as JSON under /api and as a page
// elsewhere.
func TestAMissingEventReadsTheSameOnEveryRoute(t *testing.T) {
	a := newTestApp(t)
	w, err := a.NewWeb()
	if err != nil {
		t.Fatal(err)
	}
	const msg = `There is no event \"nope\".`
	api := func(name, method, path string) apitest.Scenario {
		return apitest.Scenario{Name: name, Method: method, Path: path, ExpectedStatus: http.StatusNotFound,
			Headers:         map[string]string{"Content-Type": "application/json"},
			Body:            `{"name": "Ana", "text": "hello"}`,
			ExpectedHeaders: map[string]string{"Content-Type": "application/json"},
			ExpectedContent: []string{`{"error":"` + msg + `"}`}}
	}
	page := func(name, path string) apitest.Scenario {
		return apitest.Scenario{Name: name, Path: path, ExpectedStatus: http.StatusNotFound,
			ExpectedHeaders: map[string]string{"Content-Type": "text/html; charset=utf-8"},
			ExpectedContent: []string{`There is no event &#34;nope&#34;.`}}
	}
	apitest.Run(t, &apitest.Env{App: w.Fiber},
		api("long poll", "GET", "/api/events/nope/live?since=0&wait=0"),
		api("snapshot", "GET", "/api/events/nope/live"),
		api("stream", "GET", "/api/events/nope/stream"),
		api("archive items", "GET", "/api/events/nope/items"),
		api("events API", "GET", "/api/events/nope"),
		api("posts", "POST", "/api/events/nope/posts"),
		page("live page", "/events/nope"),
		page("wall", "/events/nope/wall"),
		page("archive page", "/events/nope/archive"),
		page("session page", "/events/nope/sessions/keynote"),
		page("permalink", "/events/nope/items/1"),
		page("feed", "/events/nope/feed.atom"),
		page("export", "/events/nope/export.csv"),
	)
}
