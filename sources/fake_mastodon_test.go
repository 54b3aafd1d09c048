package sources

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync"
	"testing"
)

// fakeMastodon speaks the hashtag streaming API (SSE) and the tag timeline
// (REST) from statuses built on the fixture's.
type fakeMastodon struct {
	t        *testing.T
	template map[string]any
	mu       sync.Mutex
	// published statuses by id, what the timeline serves.
	published map[string][]byte
	conns     int
	// streamScript runs for the n-th stream connection (1-based).
	streamScript func(n int, w http.ResponseWriter, r *http.Request, f *fakeMastodon)
	timelineHits int
	authOK       bool
}

func newFakeMastodon(t *testing.T) (*fakeMastodon, *httptest.Server) {
	events, _, err := ParseSSE(bytes.NewReader(fixture(t, "mastodon_sse.txt")))
	if err != nil {
		t.Fatal(err)
	}
	var tmpl map[string]any
	if err := json.Unmarshal(events[0].Data, &tmpl); err != nil {
		t.Fatal(err)
	}
	f := &fakeMastodon{t: t, template: tmpl, published: map[string][]byte{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/streaming/hashtag", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("tag") != "gophercon2026" {
			http.Error(w, "wrong tag", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.conns++
		n := f.conns
		f.authOK = r.Header.Get("Authorization") == "Bearer test-token"
		f.mu.Unlock()
		f.streamScript(n, w, r, f)
	})
	mux.HandleFunc("GET /api/v1/timelines/tag/gophercon2026", func(w http.ResponseWriter, r *http.Request) {
		min := r.URL.Query().Get("min_id")
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		f.mu.Lock()
		f.timelineHits++
		var ids []string
		for id := range f.published {
			if min == "" || statusNewer(id, min) {
				ids = append(ids, id)
			}
		}
		// Oldest page after min_id, served newest first, like Mastodon.
		sort.Slice(ids, func(i, j int) bool { return statusNewer(ids[j], ids[i]) })
		if limit > 0 && len(ids) > limit {
			ids = ids[:limit]
		}
		var page []json.RawMessage
		for i := len(ids) - 1; i >= 0; i-- {
			page = append(page, f.published[ids[i]])
		}
		f.mu.Unlock()
		if page == nil {
			page = []json.RawMessage{}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(page)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

// statusID is the local id of test status n (above the fixture's ids).
func statusID(n int) string { return fmt.Sprintf("1135123600000%05d", n) }

// statusURI is the uri of test status n (its item ID is "mastodon:" + uri).
func statusURI(n int) string {
	return "https://fosstodon.example/users/ada/statuses/" + statusID(n)
}

// status builds test status n from the fixture's, with text.
func (f *fakeMastodon) status(n int, text string) []byte {
	m := map[string]any{}
	for k, v := range f.template {
		m[k] = v
	}
	m["id"] = statusID(n)
	m["uri"] = statusURI(n)
	m["url"] = "https://fosstodon.example/@ada/" + statusID(n)
	m["content"] = "<p>" + text + "</p>"
	b, _ := json.Marshal(m)
	return b
}

// publish makes status n visible on the timeline and returns its JSON.
func (f *fakeMastodon) publish(n int) []byte {
	b := f.status(n, fmt.Sprintf("post %d #GopherCon2026", n))
	f.mu.Lock()
	f.published[statusID(n)] = b
	f.mu.Unlock()
	return b
}

// waitTimeline waits until the timeline was read n times in all (the
// runner's backfill after connecting), so what the stream sends next cannot
// also come from that backfill.
func (f *fakeMastodon) waitTimeline(n int) {
	for {
		f.mu.Lock()
		hits := f.timelineHits
		f.mu.Unlock()
		if hits >= n {
			return
		}
		<-timeAfter(5)
	}
}

func (f *fakeMastodon) streamConns() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conns
}

func sseEvent(w http.ResponseWriter, event string, data []byte) {
	fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data)
	w.(http.Flusher).Flush()
}

func sseStart(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ":)\n")
	w.(http.Flusher).Flush()
}

// holdOpen keeps a stream open with heartbeats until the client leaves.
func holdOpen(w http.ResponseWriter, r *http.Request, heartbeat string) {
	for {
		select {
		case <-r.Context().Done():
			return
		case <-timeAfter(200):
			if heartbeat != "" {
				fmt.Fprint(w, heartbeat)
				w.(http.Flusher).Flush()
			}
		}
	}
}

// abort drops the connection without ending the response properly.
func abort(w http.ResponseWriter) {
	w.(http.Flusher).Flush()
	panic(http.ErrAbortHandler)
}
