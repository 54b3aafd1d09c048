package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// recorder is a streamProto that notes the events it is given.
type recorder struct{ events []string }

func (r *recorder) request(buf []byte, _ string) []byte { return buf }
func (r *recorder) head(status int, cookie string) error {
	r.events = append(r.events, fmt.Sprintf("head %d %s", status, cookie))
	return nil
}
func (r *recorder) event(name string, data []byte, _ time.Time) error {
	r.events = append(r.events, name+" "+string(data))
	return nil
}

func chunk(s string) string { return fmt.Sprintf("%x\r\n%s\r\n", len(s), s) }

func TestTheStreamReaderDecodesChunksAndEventsHoweverTheBytesArrive(t *testing.T) {
	body := chunk("retry: 2000\n\nevent: ready\ndata: {}\n\n") + chunk("id: 4\nevent: add\ndata: {\"seq\":4}\n\n: keep-alive\n\nid: 5\nev") +
		chunk("ent: hide\ndata: {\"seq\":5}\n\n") + chunk("data: {\"pub\":1}\n\n")
	raw := "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nSet-Cookie: bc_client=abc; path=/\r\n\r\n" + body
	want := []string{"head 200 abc", "ready {}", `add {"seq":4}`, `hide {"seq":5}`, `message {"pub":1}`}
	for _, size := range []int{1, 2, 3, 7, 64, len(raw)} {
		var r sseReader
		rec := &recorder{}
		for i := 0; i < len(raw); i += size {
			if err := r.feed([]byte(raw[i:min(i+size, len(raw))]), rec, time.Now()); err != nil {
				t.Fatalf("pieces of %d: %v", size, err)
			}
		}
		if strings.Join(rec.events, "|") != strings.Join(want, "|") {
			t.Fatalf("pieces of %d: events %q, want %q", size, rec.events, want)
		}
	}
	var r sseReader
	if err := r.feed([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), &recorder{}, time.Now()); err != errStreamEnded {
		t.Fatalf("the last chunk gave %v, want errStreamEnded", err)
	}
}
