package sources

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/backchannel/backchannel/live"
)

// fakeJetstream serves the fixture's messages over a WebSocket, one text
// frame each, resuming from ?cursor= (time_us) like Jetstream.
type fakeJetstream struct {
	mu      sync.Mutex
	lines   [][]byte
	cursors []string
	script  func(n int, conn *websocket.Conn, cursor int64, f *fakeJetstream)
}

func (f *fakeJetstream) send(conn *websocket.Conn, b []byte) {
	_ = conn.Write(context.Background(), websocket.MessageText, b)
}

// from returns the fixture lines with time_us >= cursor.
func (f *fakeJetstream) from(cursor int64) [][]byte {
	var out [][]byte
	for _, l := range f.lines {
		var m struct {
			TimeUS int64 `json:"time_us"`
		}
		_ = json.Unmarshal(l, &m)
		if m.TimeUS >= cursor {
			out = append(out, l)
		}
	}
	return out
}

func newFakeJetstream(t *testing.T) (*fakeJetstream, *httptest.Server) {
	f := &fakeJetstream{lines: bytes.Split(bytes.TrimSpace(fixture(t, "jetstream.jsonl")), []byte("\n"))}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/subscribe" || r.URL.Query().Get("wantedCollections") != "app.bsky.feed.post" {
			http.NotFound(w, r)
			return
		}
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		c := r.URL.Query().Get("cursor")
		cursor, _ := strconv.ParseInt(c, 10, 64)
		f.mu.Lock()
		f.cursors = append(f.cursors, c)
		n := len(f.cursors)
		f.mu.Unlock()
		f.script(n, conn, cursor, f)
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

func TestBlueskyJetstreamResumesFromRewoundCursorWithEveryPostOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f, srv := newFakeJetstream(t)
	f.script = func(n int, conn *websocket.Conn, cursor int64, f *fakeJetstream) {
		ctx := context.Background()
		switch n {
		case 1:
			// The first three messages, then the connection drops.
			for _, l := range f.lines[:3] {
				f.send(conn, l)
			}
			conn.CloseNow()
		case 2:
			f.send(conn, []byte(`{"did":`))
			f.send(conn, []byte(strings.Repeat("x", MaxLine+5)))
			for _, l := range f.from(cursor) {
				f.send(conn, l)
			}
			_, _, _ = conn.Read(ctx) // until the client leaves
		default:
			_, _, _ = conn.Read(ctx)
		}
	}
	endpoint := "ws" + strings.TrimPrefix(srv.URL, "http") + "/subscribe"
	_, appView := newFakeAppView(t)
	src := h.addSource("bluesky", "bluesky:gophercon", map[string]any{"endpoint": endpoint, "keywords": []string{"#GopherCon2026"}, "profile_base": appView.URL})
	h.start(NewManager(h.db.DB, h.rd.Client, h.log, h.fastOptions("w:1")))
	first := "bluesky:at://did:plc:q6gjnaw2blty4crticxkmujt/app.bsky.feed.post/3lbfk2vuowo2b"
	reply := "bluesky:at://did:plc:rfov6bpyztcnedeyyzgfq42k/app.bsky.feed.post/3lbfk339z2k2d"
	es := h.waitFor("posts and the delete", func(es []live.Entry) bool {
		return hasAll(first, reply)(es) && countOps(es, live.OpHide) == 1
	})
	assertExactlyOnce(t, es, first, reply)
	if opTarget(es, live.OpHide, 0) != seqOfItem(es, first) {
		t.Errorf("the delete must hide the first post")
	}
	f.mu.Lock()
	resumed := f.cursors[1]
	f.mu.Unlock()
	// Rewound 5 s before the last message handled (line 3, time_us 1732111409500000).
	if resumed != strconv.FormatInt(1732111409500000-5_000_000, 10) {
		t.Errorf("reconnected with cursor %q", resumed)
	}
	st := h.waitState("bad frames counted", src.ID, func(s State) bool { return s.BadPayloads >= 2 })
	if !st.Connected || st.Reconnects < 1 {
		t.Errorf("state %+v", st)
	}
}
