package realtime

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"unsafe"

	"github.com/valyala/fasthttp"
)

func TestParseHeadReadsWhatTheLoopsNeed(t *testing.T) {
	raw := "GET /api/events/demo/live?since=3&wait=25 HTTP/1.1\r\nHost: x\r\n" +
		"Cookie: a=b; " + ClientCookie + "=D83sZAoKPrd78--G8knvoA; c=d\r\nLast-Event-ID:  7 \r\nConnection: close\r\n\r\nGET /next"
	h, err := parseHead([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if string(h.method) != "GET" || string(h.path) != "/api/events/demo/live" || string(h.query) != "since=3&wait=25" ||
		string(h.cookie) != "D83sZAoKPrd78--G8knvoA" || h.cookieSeen != 1 || string(h.lastEventID) != "7" ||
		!h.connClose || h.handOver || h.size != strings.Index(raw, "GET /next") {
		t.Fatalf("parsed %+v", h)
	}
}

func TestParseHeadLeavesToFasthttpWhatItDoesNotReadWithCertainty(t *testing.T) {
	cases := []struct {
		name, raw string
		handOver  bool // a head read, but left to fasthttp
	}{
		{"HTTP/1.0", "GET / HTTP/1.0\r\n\r\n", false},
		{"a bare LF", "GET / HTTP/1.1\nHost: x\n\n", false},
		{"an absolute target", "GET http://x/ HTTP/1.1\r\n\r\n", false},
		{"a space in the target", "GET /a b HTTP/1.1\r\n\r\n", false},
		{"a folded header", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", false},
		{"a header without a colon", "GET / HTTP/1.1\r\nnocolon\r\n\r\n", false},
		{"a space before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", false},
		{"a control byte", "GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", false},
		{"a line feed for a method", "\n / HTTP/1.1\r\n\r\n", false},
		{"a method that is not a token", "G(T / HTTP/1.1\r\n\r\n", false},
		{"a body", "GET / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", true},
		{"chunked", "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", true},
		{"an upgrade", "GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", true},
		{"an expectation", "GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n", true},
		{"an odd Connection", "GET / HTTP/1.1\r\nConnection: upgrade\r\n\r\n", true},
		{"a quoted client cookie", "GET / HTTP/1.1\r\nCookie: " + ClientCookie + `="D83sZAoKPrd78--G8knvoA"` + "\r\n\r\n", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := parseHead([]byte(tc.raw))
			switch {
			case tc.handOver && (err != nil || !h.handOver):
				t.Fatalf("got %+v, %v; want a head handed over", h, err)
			case !tc.handOver && err == nil:
				t.Fatalf("got %+v; want errNotLoopHead", h)
			}
		})
	}
	if h, err := parseHead([]byte(strings.Repeat("a", maxHeadBytes+1))); err == nil {
		t.Fatalf("an endless head gave %+v", h)
	}
	if h, err := parseHead([]byte("GET / HTTP/1.1\r\nHost: x\r\n")); err != nil || h.size != 0 {
		t.Fatalf("an incomplete head gave %+v, %v; want to wait for more", h, err)
	}
}

// FuzzParseHead holds the loops' reading of a request head to fasthttp's:
// whatever the loops take as theirs (parsed, not handed over), fasthttp
// reads the same way (method, path, query, the client cookie, Last-Event-ID,
// Connection: close, where the head ends). Seeds in testdata/fuzz.
func FuzzParseHead(f *testing.F) {
	for _, s := range []string{
		"GET /api/events/demo/live?since=3&wait=25 HTTP/1.1\r\nHost: x\r\nCookie: " + ClientCookie + "=D83sZAoKPrd78--G8knvoA\r\n\r\n",
		"GET /api/events/demo/stream HTTP/1.1\r\nLast-Event-ID: 12\r\nConnection: keep-alive\r\n\r\n",
		"GET /x HTTP/1.1\r\nCookie: a=1; b=2\r\nCookie: " + ClientCookie + "=aaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
		"GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
		"POST /api/events/demo/posts HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
		"GET /%7e?a=%20 HTTP/1.1\r\nX:\t y \r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseHead(b)
		if err != nil || h.size == 0 || h.handOver {
			return
		}
		var req fasthttp.RequestHeader
		br := bufio.NewReader(bytes.NewReader(b[:h.size]))
		if rerr := req.Read(br); rerr != nil {
			t.Fatalf("the loops read %q, fasthttp refused it: %v", b[:h.size], rerr)
		}
		if br.Buffered() != 0 {
			t.Fatalf("fasthttp left %d bytes of the head %q", br.Buffered(), b[:h.size])
		}
		if !bytes.Equal(req.Method(), h.method) || !bytes.Equal(req.RequestURI(), joinTarget(h)) {
			t.Fatalf("head %q: loops %s %s, fasthttp %s %s", b[:h.size], h.method, joinTarget(h), req.Method(), req.RequestURI())
		}
		if req.ConnectionClose() != h.connClose {
			t.Fatalf("head %q: Connection: close loops %v, fasthttp %v", b[:h.size], h.connClose, req.ConnectionClose())
		}
		if h.cookieSeen == 1 && !bytes.Equal(req.Cookie(ClientCookie), h.cookie) {
			t.Fatalf("head %q: cookie loops %q, fasthttp %q", b[:h.size], h.cookie, req.Cookie(ClientCookie))
		}
		if h.lastEventIDs == 1 && !bytes.Equal(req.Peek("Last-Event-ID"), h.lastEventID) {
			t.Fatalf("head %q: Last-Event-ID loops %q, fasthttp %q", b[:h.size], h.lastEventID, req.Peek("Last-Event-ID"))
		}
	})
}

func joinTarget(h requestHead) []byte {
	if h.query == nil {
		return h.path
	}
	return append(append(append([]byte(nil), h.path...), '?'), h.query...)
}

func TestAPollsEpochOutlivesTheBufferItWasParsedFrom(t *testing.T) {
	buf := []byte("since=3&epoch=abc123&wait=25")
	q, err := ParseLiveQuery(unsafe.String(unsafe.SliceData(buf), len(buf)))
	if err != nil {
		t.Fatal(err)
	}
	lc := &loopConn{}
	kept := lc.keepEpoch(q.Epoch)
	copy(buf, "since=3&epoch=zzzzzz&wait=25") // the loop reuses its buffer
	if kept != "abc123" {
		t.Fatalf("the kept epoch changed with the buffer: %q", kept)
	}
	lc.poll.epoch = kept
	copy(buf, "since=4&epoch=abc123&wait=25")
	q, _ = ParseLiveQuery(unsafe.String(unsafe.SliceData(buf), len(buf)))
	if again := lc.keepEpoch(q.Epoch); unsafe.StringData(again) != unsafe.StringData(kept) {
		t.Fatal("the same epoch on the next poll was copied again instead of reusing the last one")
	}
}
