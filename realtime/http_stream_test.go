package realtime

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/live"
)

// sseEvent is one Server-Sent Event, or a comment when comment is set.
type sseEvent struct {
	id, event, data, comment string
}

// openStream GETs a stream and returns a reader of its events.
func openStream(t *testing.T, url string, header ...string) (*http.Response, func() sseEvent) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	r := bufio.NewReader(resp.Body)
	next := func() sseEvent {
		t.Helper()
		var ev sseEvent
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("stream ended: %v", err)
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case line == "":
				if ev != (sseEvent{}) {
					return ev
				}
			case strings.HasPrefix(line, ":"):
				return sseEvent{comment: strings.TrimSpace(line[1:])}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}
	return resp, next
}

// expectReady reads a stream's first event, which must be "ready": it
// tells a client the stream flows (a buffering proxy would hold it back).
func expectReady(t *testing.T, next func() sseEvent) {
	t.Helper()
	if ev := next(); ev.event != "ready" || ev.data != "{}" {
		t.Fatalf("a stream began with %+v, want the event ready", ev)
	}
}

func TestStreamResumesFromLastEventIDAndFollowsNewEntries(t *testing.T) {
	e := newLiveEnv(t, "open", nil)
	e.appendItems(t, 3)
	base := e.serve(t)
	resp, next := openStream(t, base+"/api/events/"+e.ev.Slug+"/stream", "Last-Event-ID", "1")
	expectReady(t, next)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") ||
		resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("stream answered %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
	}
	for _, want := range []int64{2, 3} {
		ev := next()
		var entry live.Entry
		if err := json.Unmarshal([]byte(ev.data), &entry); err != nil {
			t.Fatalf("data %q: %v", ev.data, err)
		}
		if ev.id != strconv.FormatInt(want, 10) || ev.event != "add" || entry.Seq != want || entry.Item == nil {
			t.Fatalf("event %+v, want id %d, event add, the entry", ev, want)
		}
	}
	e.appendItems(t, 1)
	for {
		ev := next()
		if ev.comment != "" {
			continue
		}
		if ev.id != "4" || ev.event != "add" {
			t.Fatalf("event %+v, want the new entry 4", ev)
		}
		break
	}
}

func TestStreamSendsKeepAliveComments(t *testing.T) {
	e := newLiveEnv(t, "open", nil) // KeepAlive is 300ms in tests
	e.appendItems(t, 1)
	base := e.serve(t)
	_, next := openStream(t, base+"/api/events/"+e.ev.Slug+"/stream?since=1")
	expectReady(t, next)
	if ev := next(); ev.comment != "keep-alive" {
		t.Fatalf("first thing on an idle stream is %+v, want a keep-alive comment", ev)
	}
}

func TestStreamWithoutSinceStartsWithASnapshot(t *testing.T) {
	e := newLiveEnv(t, "open", nil)
	e.appendItems(t, 2)
	base := e.serve(t)
	_, next := openStream(t, base+"/api/events/"+e.ev.Slug+"/stream")
	expectReady(t, next)
	ev := next()
	var snap struct {
		Items []live.Item `json:"items"`
		Head  int64       `json:"head"`
	}
	if err := json.Unmarshal([]byte(ev.data), &snap); err != nil {
		t.Fatal(err)
	}
	if ev.event != "snapshot" || ev.id != "2" || len(snap.Items) != 2 || snap.Head != 2 {
		t.Fatalf("first event %+v, want a snapshot of 2 items at id 2", ev)
	}
	e.appendItems(t, 1)
	for ev = next(); ev.comment != ""; ev = next() {
	}
	if ev.id != "3" {
		t.Fatalf("after the snapshot came %+v, want entry 3", ev)
	}
}

func TestStreamRefusesAMalformedLastEventID(t *testing.T) {
	e := newLiveEnv(t, "open", nil)
	e.call(t, http.MethodGet, "/api/events/"+e.ev.Slug+"/stream", "", "", "", "Last-Event-ID", "abc").
		expect(t, http.StatusBadRequest)
	e.get(t, "/api/events/"+e.ev.Slug+"/stream?since=x", "").expect(t, http.StatusBadRequest)
}

func TestStreamEndsWhenTheNodeDrains(t *testing.T) {
	e := newLiveEnv(t, "open", nil)
	e.appendItems(t, 1)
	base := e.serve(t)
	resp, next := openStream(t, base+"/api/events/"+e.ev.Slug+"/stream?since=1")
	next()
	e.handler.Drain()
	done := make(chan struct{})
	go func() {
		buf := make([]byte, 512)
		for {
			if _, err := resp.Body.Read(buf); err != nil {
				close(done)
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream stayed open after Drain")
	}
}

func TestStreamOutlivesTheServerWriteTimeout(t *testing.T) {
	e := newLiveEnv(t, "open", nil) // WriteTimeout is 1s in tests
	e.appendItems(t, 1)
	base := e.serve(t)
	_, next := openStream(t, base+"/api/events/"+e.ev.Slug+"/stream?since=1")
	expectReady(t, next)
	for end := time.Now().Add(2500 * time.Millisecond); time.Now().Before(end); {
		if ev := next(); ev.comment != "keep-alive" {
			t.Fatalf("idle stream sent %+v", ev)
		}
	}
	e.appendItems(t, 1)
	ev := next()
	for ev.comment != "" {
		ev = next()
	}
	if ev.id != "2" {
		t.Fatalf("after the write timeout the stream sent %+v, want entry 2", ev)
	}
}
