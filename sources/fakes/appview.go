package fakes

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
)

// AppView is a fake of the Bluesky AppView's app.bsky.actor.getProfiles
// (docs.bsky.app, "app.bsky.actor.getProfiles": GET
// /xrpc/app.bsky.actor.getProfiles?actors=…, at most 25 actors, answering
// {"profiles": [ProfileViewDetailed…]}; actors it does not know are left
// out, not reported as errors). It is an http.Handler.
type AppView struct {
	mu       sync.Mutex
	handles  map[string]string // did → handle
	fails    int               // next requests answered 502
	requests int
}

// NewAppView returns an AppView that knows no one.
func NewAppView() *AppView { return &AppView{handles: map[string]string{}} }

// SetProfile makes did known under handle.
func (a *AppView) SetProfile(did, handle string) {
	a.mu.Lock()
	a.handles[did] = handle
	a.mu.Unlock()
}

// Fail makes the next n requests answer 502 (an overloaded AppView).
func (a *AppView) Fail(n int) {
	a.mu.Lock()
	a.fails += n
	a.mu.Unlock()
}

// Requests counts getProfiles requests, failed ones included.
func (a *AppView) Requests() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.requests
}

func (a *AppView) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/xrpc/app.bsky.actor.getProfiles" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotImplemented)
		_, _ = w.Write([]byte(`{"error":"MethodNotImplemented","message":"Method Not Implemented"}`))
		return
	}
	a.mu.Lock()
	a.requests++
	fail := a.fails > 0
	if fail {
		a.fails--
	}
	a.mu.Unlock()
	if fail {
		http.Error(w, "502 Bad Gateway", http.StatusBadGateway)
		return
	}
	actors := r.URL.Query()["actors"]
	if len(actors) > 25 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"InvalidRequest","message":"Error: actors must not have more than 25 elements"}`))
		return
	}
	var out []map[string]string
	a.mu.Lock()
	for _, did := range actors {
		h, ok := a.handles[did]
		if !ok && strings.HasPrefix(did, "did:plc:chaos") {
			h, ok = strings.TrimPrefix(did, "did:plc:")+".bsky.social", true
		}
		if ok {
			out = append(out, map[string]string{"did": did, "handle": h, "displayName": "User " + h, "avatar": "https://cdn.bsky.app/img/avatar/plain/" + did + "/x@jpeg"})
		}
	}
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"profiles": out})
}
