package sources

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/backchannel/backchannel/realtime"
)

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
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1")))
	want := []string{"flickr:54152047751", "flickr:54151876402", "flickr:54150999003", "flickr:54150999999"}
	es := h.waitFor("four photos", hasAll(want...))
	assertExactlyOnce(t, es, want...)
	if es[0].Item.Kind != realtime.KindPhoto || len(es[0].Item.Media) != 1 {
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
}

func TestFeedPollsWithConditionalGETAndAddsEachEntryOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var mu sync.Mutex
	full, notModified := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("If-None-Match") == `"v1"` || r.Header.Get("If-Modified-Since") == "Wed, 20 Nov 2024 14:10:00 GMT" {
			notModified++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		full++
		w.Header().Set("Content-Type", "application/atom+xml")
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Wed, 20 Nov 2024 14:10:00 GMT")
		w.Write(fixture(t, "feed.atom"))
	}))
	t.Cleanup(srv.Close)
	h.addSource("feed", "feed:notes", map[string]any{"url": srv.URL + "/feed.atom", "every": "30ms"})
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1")))
	want := []string{"feed:tag:blog.gophercon.example,2024-11-20:/notes/keynote", "feed:tag:blog.gophercon.example,2024-11-20:/notes/room-change"}
	h.waitFor("both entries", hasAll(want...))
	eventually(t, "three 304 answers", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return notModified >= 3
	})
	assertExactlyOnce(t, h.entries(), want...)
	mu.Lock()
	defer mu.Unlock()
	if full != 1 {
		t.Errorf("feed fetched in full %d times, want once then 304s", full)
	}
}
