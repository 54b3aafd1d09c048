package fakes

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// Jetstream is a fake of Bluesky's Jetstream (bluesky-social/jetstream,
// README.md): GET /subscribe upgrades to a WebSocket and sends one JSON
// event per text frame. It is an http.Handler.
//
// What it imitates, from the README:
//   - `wantedCollections` filters commit events by collection;
//     "identity" and "account" events are sent regardless.
//   - `cursor` is "a unix microseconds timestamp cursor to begin playback
//     from"; "an absent cursor or a cursor from the future will result in
//     live-tail operation". Playback sends every event with time_us at or
//     above the cursor, then the live tail.
//   - "When reconnecting, use the time_us from your most recently processed
//     event and maybe provide a negative buffer (i.e. subtract a few
//     seconds) to ensure gapless playback": time_us is the time Jetstream
//     received an event, and events are not strictly ordered by it. The
//     fake's PostSkewed emits an event whose time_us is behind events
//     already sent, so a client that resumes exactly at its last time_us
//     misses it.
//   - `compress=true` asks for zstd frames with a custom dictionary; the
//     fake does not imitate that and refuses with 400, so a client that
//     asks learns it at once.
type Jetstream struct {
	mu      sync.Mutex
	events  []jsEvent
	lastUS  int64
	notify  chan struct{}
	cut     chan struct{}
	cursors []string
	open    int
}

type jsEvent struct {
	timeUS int64
	coll   string // "" for identity and account events
	data   []byte
}

// NewJetstream returns a fake Jetstream with no events.
func NewJetstream() *Jetstream {
	return &Jetstream{notify: make(chan struct{}), cut: make(chan struct{})}
}

// JetstreamPost is one post the fake emits.
type JetstreamPost struct {
	DID, RKey, Text string
	CreatedAt       time.Time
}

// Post emits the create commit of an app.bsky.feed.post record now and
// returns its time_us. Hashtags in the text ("#word") get tag facets with
// UTF-8 byte offsets, as the app.bsky.richtext.facet lexicon specifies.
func (j *Jetstream) Post(p JetstreamPost) int64 { return j.emitPost(p, 0) }

// PostSkewed emits a post whose time_us lies skew behind now: an event that
// Jetstream received earlier but sends after later ones.
func (j *Jetstream) PostSkewed(p JetstreamPost, skew time.Duration) int64 {
	return j.emitPost(p, skew)
}

func (j *Jetstream) emitPost(p JetstreamPost, skew time.Duration) int64 {
	if p.CreatedAt.IsZero() {
		p.CreatedAt = time.Now()
	}
	var facets []any
	for i := 0; i < len(p.Text); {
		k := strings.IndexByte(p.Text[i:], '#')
		if k < 0 {
			break
		}
		start := i + k
		end := start + 1
		for end < len(p.Text) {
			r, n := utf8.DecodeRuneInString(p.Text[end:])
			if r == ' ' || r == '\n' || r == '#' || r == utf8.RuneError {
				break
			}
			end += n
		}
		if end > start+1 {
			facets = append(facets, map[string]any{
				"$type":    "app.bsky.richtext.facet",
				"index":    map[string]int{"byteStart": start, "byteEnd": end},
				"features": []any{map[string]string{"$type": "app.bsky.richtext.facet#tag", "tag": p.Text[start+1 : end]}},
			})
		}
		i = end
	}
	record := map[string]any{"$type": "app.bsky.feed.post", "createdAt": p.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z"), "langs": []string{"en"}, "text": p.Text}
	if facets != nil {
		record["facets"] = facets
	}
	return j.emit(p.DID, "app.bsky.feed.post", skew, func(us int64) any {
		return map[string]any{"did": p.DID, "time_us": us, "kind": "commit", "commit": map[string]any{
			"rev": "3l" + strconv.FormatInt(us, 36), "operation": "create", "collection": "app.bsky.feed.post",
			"rkey": p.RKey, "record": record, "cid": "bafyrei" + strconv.FormatInt(us, 36)}}
	})
}

// Delete emits the delete commit of a post (no record, no cid).
func (j *Jetstream) Delete(did, rkey string) int64 {
	return j.emit(did, "app.bsky.feed.post", 0, func(us int64) any {
		return map[string]any{"did": did, "time_us": us, "kind": "commit", "commit": map[string]any{
			"rev": "3l" + strconv.FormatInt(us, 36), "operation": "delete", "collection": "app.bsky.feed.post", "rkey": rkey}}
	})
}

// Identity emits an identity event (a handle change), sent to every
// subscriber whatever its wantedCollections.
func (j *Jetstream) Identity(did, handle string) int64 {
	return j.emit(did, "", 0, func(us int64) any {
		return map[string]any{"did": did, "time_us": us, "kind": "identity", "identity": map[string]any{
			"did": did, "handle": handle, "seq": us, "time": time.Now().UTC().Format(time.RFC3339Nano)}}
	})
}

// Account emits an account event (activation or deactivation), sent to
// every subscriber.
func (j *Jetstream) Account(did string, active bool) int64 {
	return j.emit(did, "", 0, func(us int64) any {
		acc := map[string]any{"active": active, "did": did, "seq": us, "time": time.Now().UTC().Format(time.RFC3339Nano)}
		if !active {
			acc["status"] = "deactivated"
		}
		return map[string]any{"did": did, "time_us": us, "kind": "account", "account": acc}
	})
}

func (j *Jetstream) emit(did, coll string, skew time.Duration, build func(us int64) any) int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	us := time.Now().UnixMicro()
	if skew > 0 {
		us -= skew.Microseconds()
	} else {
		us = max(us, j.lastUS+1)
		j.lastUS = us
	}
	b, _ := json.Marshal(build(us))
	j.events = append(j.events, jsEvent{timeUS: us, coll: coll, data: b})
	close(j.notify)
	j.notify = make(chan struct{})
	return us
}

// Cut drops every open connection, as a Jetstream restart does.
func (j *Jetstream) Cut() {
	j.mu.Lock()
	close(j.cut)
	j.cut = make(chan struct{})
	j.mu.Unlock()
}

// Cursors lists the cursor of every connection, "" when none was given.
func (j *Jetstream) Cursors() []string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]string(nil), j.cursors...)
}

// OpenConnections is how many subscribers are connected now.
func (j *Jetstream) OpenConnections() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.open
}

func (j *Jetstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/subscribe" {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	if q.Get("compress") == "true" {
		http.Error(w, "this fake does not imitate zstd compression", http.StatusBadRequest)
		return
	}
	wanted := map[string]bool{}
	for _, c := range q["wantedCollections"] {
		for _, c := range strings.Split(c, ",") {
			wanted[c] = true
		}
	}
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	cursor := q.Get("cursor")
	c, _ := strconv.ParseInt(cursor, 10, 64)
	j.mu.Lock()
	j.cursors = append(j.cursors, cursor)
	j.open++
	notify, cut := j.notify, j.cut
	// Playback from the cursor, or live tail (no cursor, or one from the future).
	pos := len(j.events)
	var replay []jsEvent
	if cursor != "" && c <= time.Now().UnixMicro() {
		for _, e := range j.events {
			if e.timeUS >= c {
				replay = append(replay, e)
			}
		}
	}
	j.mu.Unlock()
	defer func() {
		j.mu.Lock()
		j.open--
		j.mu.Unlock()
	}()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		// Read (and drop) subscriber-sourced messages; a close ends the loop.
		for {
			if _, _, err := conn.Read(ctx); err != nil {
				cancel()
				return
			}
		}
	}()
	send := func(e jsEvent) bool {
		if e.coll != "" && len(wanted) > 0 && !wanted[e.coll] {
			return true
		}
		return conn.Write(ctx, websocket.MessageText, e.data) == nil
	}
	for _, e := range replay {
		if !send(e) {
			return
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-cut:
			return
		case <-notify:
			j.mu.Lock()
			evs := j.events[pos:]
			pos, notify = len(j.events), j.notify
			j.mu.Unlock()
			for _, e := range evs {
				if !send(e) {
					return
				}
			}
		}
	}
}
