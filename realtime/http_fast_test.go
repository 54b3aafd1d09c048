package realtime

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// fastCall runs one GET through either the fast path alone or fiber's
// handler alone, in memory.
func fastCall(e *liveEnv, fast bool, uri, client string) (*fasthttp.Response, bool) {
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI(uri)
	if client != "" {
		ctx.Request.Header.SetCookie(ClientCookie, client)
	}
	served := true
	if fast {
		served = e.handler.serveFast(&ctx)
	} else {
		e.app.Handler()(&ctx)
	}
	resp := &fasthttp.Response{}
	ctx.Response.CopyTo(resp)
	return resp, served
}

// headerLines lists a response's headers but Date, sorted.
func headerLines(r *fasthttp.Response) []string {
	var out []string
	r.Header.VisitAll(func(k, v []byte) {
		if string(k) != "Date" {
			out = append(out, string(k)+": "+string(v))
		}
	})
	slices.Sort(out)
	return out
}

func TestTheFastPathAnswersLongPollsExactlyAsFiberDoes(t *testing.T) {
	e := newLiveEnv(t, PostingOpen, nil)
	head := e.appendItems(t, 3)
	const client = "D83sZAoKPrd78--G8knvoA"
	first := e.get(t, e.livePath(""), client).expect(t, http.StatusOK) // loads the event and the window
	epoch, _ := first.body["epoch"].(string)
	cases := []struct{ name, query string }{
		{"entries behind the head", fmt.Sprintf("?since=%d&epoch=%s&wait=5", head-2, epoch)},
		{"a limit cuts the page", fmt.Sprintf("?since=%d&epoch=%s&wait=5&limit=1", head-3, epoch)},
		{"a wrong epoch resets", fmt.Sprintf("?since=%d&epoch=old-epoch&wait=5", head)},
		{"nothing arrives before the wait ends", fmt.Sprintf("?since=%d&epoch=%s&wait=1", head, epoch)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			uri := e.livePath(tc.query)
			want, _ := fastCall(e, false, uri, client)
			got, served := fastCall(e, true, uri, client)
			if !served {
				t.Fatal("the fast path passed the poll on")
			}
			if got.StatusCode() != want.StatusCode() || !slices.Equal(headerLines(got), headerLines(want)) {
				t.Fatalf("fast path answered %d %v, fiber %d %v", got.StatusCode(), headerLines(got), want.StatusCode(), headerLines(want))
			}
			if !bytes.Equal(got.Body(), want.Body()) {
				t.Fatalf("fast path body %s\nfiber body %s", got.Body(), want.Body())
			}
		})
	}
}

func TestTheFastPathPassesOnWhatItCannotTakeWhole(t *testing.T) {
	e := newLiveEnv(t, PostingOpen, nil)
	head := e.appendItems(t, 2)
	const client = "D83sZAoKPrd78--G8knvoA"
	e.get(t, e.livePath(""), client).expect(t, http.StatusOK)
	at := fmt.Sprintf("?since=%d&wait=5", head)
	cases := []struct{ name, uri, client string }{
		{"no cookie", e.livePath(at), ""},
		{"a malformed cookie", e.livePath(at), "short"},
		{"a snapshot", e.livePath(""), client},
		{"a poll that does not wait", e.livePath(fmt.Sprintf("?since=%d&wait=0", head)), client},
		{"a bad query", e.livePath("?since=x&wait=5"), client},
		{"an unknown event", "/api/events/no-such-event/live" + at, client},
		{"a path fiber reads loosely", "/API/events/" + e.ev.Slug + "/live" + at, client},
		{"a trailing slash", e.livePath("/") + at, client},
		{"a since beyond the head", e.livePath(fmt.Sprintf("?since=%d&wait=5", head+5)), client},
		{"the stream", "/api/events/" + e.ev.Slug + "/stream" + at, client},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			if _, served := fastCall(e, true, tc.uri, tc.client); served {
				t.Fatalf("the fast path answered %s", tc.uri)
			}
			if time.Since(start) > time.Second {
				t.Fatalf("the fast path waited before passing %s on", tc.uri)
			}
		})
	}
	t.Run("draining", func(t *testing.T) {
		e.handler.Drain()
		if _, served := fastCall(e, true, e.livePath(at), client); served {
			t.Fatal("the fast path answered while draining")
		}
		e.get(t, e.livePath(at), client).expect(t, http.StatusServiceUnavailable)
	})
}
