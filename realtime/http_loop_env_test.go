package realtime

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// serveLoops serves node (app, handler) through a LoopServer on a loopback
// port, as the app does, and returns its address.
func serveLoops(t testing.TB, app *fiber.App, h *Handler) (string, *LoopServer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	loops := NewLoopServer(h, LoopOptions{Loops: 2})
	app.Server().Handler = loops.Hijack(app.Server().Handler)
	done := make(chan error, 1)
	go func() { done <- loops.Serve(ln, app) }()
	t.Cleanup(func() {
		h.Drain()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := loops.Shutdown(ctx); err != nil {
			t.Errorf("loops shutdown: %v", err)
		}
		_ = app.ShutdownWithTimeout(5 * time.Second)
		if err := <-done; err != nil {
			t.Errorf("loops serve: %v", err)
		}
	})
	waitUntil(t, loops.serving.Load)
	return ln.Addr().String(), loops
}

// serveFiber serves a node with fiber's own fasthttp server (and the fast
// path), as the app did before the loops, and returns its address.
func serveFiber(t *testing.T, app *fiber.App, h *Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() {
		h.Drain()
		_ = app.ShutdownWithTimeout(5 * time.Second)
	})
	return ln.Addr().String()
}

// waitUntil polls cond for up to 10 s.
func waitUntil(t testing.TB, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not met within 10 s")
}

// rawConn is a client connection speaking raw HTTP/1.1.
type rawConn struct {
	t testing.TB
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, r: bufio.NewReader(c)}
}

// send writes a request: a GET of target with the given header lines.
func (rc *rawConn) send(method, target string, headers ...string) {
	rc.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: test\r\n", method, target)
	for _, h := range headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	rc.write(b.String())
}

func (rc *rawConn) write(s string) {
	rc.t.Helper()
	if _, err := io.WriteString(rc.c, s); err != nil {
		rc.t.Fatal(err)
	}
}

// rawAnswer is an answer as it came on the wire.
type rawAnswer struct {
	status  string   // the status line
	headers []string // header lines as sent
	body    []byte   // decoded body (Content-Length or chunked)
	chunked bool
}

// header returns the value of the first header named name.
func (a rawAnswer) header(name string) string {
	for _, h := range a.headers {
		k, v, _ := strings.Cut(h, ": ")
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// comparable returns the status line, the sorted header lines but Date
// (and the client cookie's random value) and the body.
func (a rawAnswer) comparable() string {
	var hs []string
	for _, h := range a.headers {
		if strings.HasPrefix(h, "Date: ") {
			continue
		}
		if v, ok := strings.CutPrefix(h, "Set-Cookie: "+ClientCookie+"="); ok {
			_, rest, _ := strings.Cut(v, ";")
			h = "Set-Cookie: " + ClientCookie + "=<id>;" + rest
		}
		hs = append(hs, h)
	}
	slices.Sort(hs)
	return a.status + "\n" + strings.Join(hs, "\n") + "\n\n" + string(a.body)
}

// readHead reads a status line and headers.
func (rc *rawConn) readHead(timeout time.Duration) rawAnswer {
	rc.t.Helper()
	_ = rc.c.SetReadDeadline(time.Now().Add(timeout))
	var a rawAnswer
	line, err := rc.r.ReadString('\n')
	if err != nil {
		rc.t.Fatalf("read the status line: %v", err)
	}
	a.status = strings.TrimSuffix(line, "\r\n")
	for {
		line, err := rc.r.ReadString('\n')
		if err != nil {
			rc.t.Fatalf("read a header: %v", err)
		}
		if !strings.HasSuffix(line, "\r\n") {
			rc.t.Fatalf("header line %q does not end in CRLF", line)
		}
		line = strings.TrimSuffix(line, "\r\n")
		if line == "" {
			break
		}
		a.headers = append(a.headers, line)
	}
	a.chunked = a.header("Transfer-Encoding") == "chunked"
	return a
}

// read reads one whole answer with a Content-Length body.
func (rc *rawConn) read(timeout time.Duration) rawAnswer {
	rc.t.Helper()
	a := rc.readHead(timeout)
	if a.chunked {
		rc.t.Fatalf("answer %s is chunked; use readChunk", a.status)
	}
	n, err := strconv.Atoi(a.header("Content-Length"))
	if err != nil {
		rc.t.Fatalf("answer %s without a Content-Length: %v", a.status, a.headers)
	}
	a.body = make([]byte, n)
	if _, err := io.ReadFull(rc.r, a.body); err != nil {
		rc.t.Fatalf("read the body: %v", err)
	}
	return a
}

// readChunk reads one chunk of a chunked body (nil at the last chunk).
func (rc *rawConn) readChunk(timeout time.Duration) []byte {
	rc.t.Helper()
	_ = rc.c.SetReadDeadline(time.Now().Add(timeout))
	line, err := rc.r.ReadString('\n')
	if err != nil {
		rc.t.Fatalf("read a chunk size: %v", err)
	}
	n, err := strconv.ParseInt(strings.TrimSuffix(line, "\r\n"), 16, 64)
	if err != nil {
		rc.t.Fatalf("chunk size %q: %v", line, err)
	}
	b := make([]byte, n+2)
	if _, err := io.ReadFull(rc.r, b); err != nil {
		rc.t.Fatalf("read a chunk: %v", err)
	}
	if !bytes.HasSuffix(b, []byte("\r\n")) {
		rc.t.Fatalf("chunk %q does not end in CRLF", b)
	}
	if n == 0 {
		return nil
	}
	return b[:n]
}

// sseEvents reads chunks until want events (comments count) arrived and
// returns them.
func (rc *rawConn) sseEvents(want int, timeout time.Duration) []sseEvent {
	rc.t.Helper()
	var text string
	var out []sseEvent
	for len(out) < want {
		chunk := rc.readChunk(timeout)
		if chunk == nil {
			rc.t.Fatalf("the stream ended after %d events: %+v", len(out), out)
		}
		text += string(chunk)
		for {
			block, rest, ok := strings.Cut(text, "\n\n")
			if !ok {
				break
			}
			text = rest
			var ev sseEvent
			for _, line := range strings.Split(block, "\n") {
				switch {
				case strings.HasPrefix(line, ":"):
					ev.comment = strings.TrimSpace(line[1:])
				case strings.HasPrefix(line, "id: "):
					ev.id = line[4:]
				case strings.HasPrefix(line, "event: "):
					ev.event = line[7:]
				case strings.HasPrefix(line, "data: "):
					ev.data = line[6:]
				case strings.HasPrefix(line, "retry: "):
					ev.comment = "retry " + line[7:]
				}
			}
			out = append(out, ev)
		}
	}
	return out
}

// expectClosed fails unless the server closes the connection within timeout.
func (rc *rawConn) expectClosed(timeout time.Duration) {
	rc.t.Helper()
	_ = rc.c.SetReadDeadline(time.Now().Add(timeout))
	b, err := io.ReadAll(rc.r)
	if err != nil {
		rc.t.Fatalf("the connection stayed open (read %q): %v", b, err)
	}
}
