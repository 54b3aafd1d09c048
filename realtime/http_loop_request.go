package realtime

import (
	"bytes"
	"errors"
)

// The loop server reads request heads itself, strictly: it only needs to
// recognise the few requests it answers on its loops (a GET of a live path
// with a query and a handful of headers). Anything it does not read with
// certainty (another method, a body, an upgrade, HTTP/1.0, bare LF line
// ends, folded or odd headers) is not answered here but handed, bytes
// untouched, to fasthttp, which answers it exactly as it always has.

// maxHeadBytes bounds a request head the loops read; a longer one goes to
// fasthttp, whose own limit then applies.
const maxHeadBytes = 8 << 10

// requestHead is a request head as the loop server reads it. Its slices
// point into the buffer it was parsed from.
type requestHead struct {
	method []byte
	path   []byte // the request target before '?'
	query  []byte // after '?', without it
	// cookie is the client cookie's value; cookieSeen counts the Cookie
	// headers that named it (more than one: fasthttp decides).
	cookie     []byte
	cookieSeen int
	// lastEventID is Last-Event-ID's value; lastEventIDs counts them.
	lastEventID  []byte
	lastEventIDs int
	// forwardedFor holds the X-Forwarded-For lines in the order received:
	// the client address behind trusted proxies (HandlerDeps.ClientAddrOf).
	forwardedFor [][]byte
	// connClose: the client asked to close the connection after the answer.
	connClose bool
	// handOver: a header the loops leave to fasthttp (a body, Expect,
	// Upgrade, Transfer-Encoding, an odd Connection or Cookie).
	handOver bool
	// size is the length of the head, final CRLF CRLF included.
	size int
}

// errNotLoopHead means a request head the loops do not read; the bytes go
// to fasthttp.
var errNotLoopHead = errors.New("realtime: request head not read by the loops")

var (
	crlf       = []byte("\r\n")
	crlfcrlf   = []byte("\r\n\r\n")
	http11     = []byte("HTTP/1.1")
	methodGet  = []byte("GET")
	cookieName = []byte(ClientCookie)
)

// parseHead reads the request head at the start of buf. It returns
// size 0 and no error while the head is incomplete, and errNotLoopHead for
// a head the loops leave to fasthttp (too long included).
func parseHead(buf []byte) (requestHead, error) {
	var h requestHead
	end := bytes.Index(buf, crlfcrlf)
	if end < 0 {
		if len(buf) > maxHeadBytes || bytes.IndexByte(buf, '\n') >= 0 && !validPartialLines(buf) {
			return h, errNotLoopHead
		}
		return h, nil
	}
	if end+4 > maxHeadBytes {
		return h, errNotLoopHead
	}
	h.size = end + 4
	line, rest, _ := bytes.Cut(buf[:end+2], crlf)
	// Request line: METHOD SP request-target SP HTTP/1.1, the method a
	// token (RFC 9110, section 9.1).
	method, line, ok1 := bytes.Cut(line, []byte{' '})
	target, proto, ok2 := bytes.Cut(line, []byte{' '})
	if !ok1 || !ok2 || !bytes.Equal(proto, http11) || len(method) == 0 || !validToken(method) || len(target) == 0 || target[0] != '/' {
		return h, errNotLoopHead
	}
	for _, c := range target {
		if c <= ' ' || c >= 0x7f || c == '#' {
			return h, errNotLoopHead
		}
	}
	h.method = method
	h.path, h.query, _ = bytes.Cut(target, []byte{'?'})
	for len(rest) > 0 {
		var field []byte
		field, rest, _ = bytes.Cut(rest, crlf)
		name, value, ok := bytes.Cut(field, []byte{':'})
		if !ok || len(name) == 0 || !validToken(name) {
			return h, errNotLoopHead
		}
		value = trimOWS(value)
		if !validFieldValue(value) {
			return h, errNotLoopHead
		}
		switch {
		case asciiFold(name, "cookie"):
			h.readCookies(value)
		case asciiFold(name, "x-forwarded-for"):
			h.forwardedFor = append(h.forwardedFor, value)
		case asciiFold(name, "last-event-id"):
			h.lastEventID = value
			h.lastEventIDs++
		case asciiFold(name, "connection"):
			// fasthttp reads exactly "close" (case and all) as a close.
			switch string(value) {
			case "close":
				h.connClose = true
			case "keep-alive":
			default:
				h.handOver = true
			}
		case asciiFold(name, "content-length"):
			if !bytes.Equal(value, []byte("0")) {
				h.handOver = true
			}
		case asciiFold(name, "transfer-encoding"), asciiFold(name, "expect"), asciiFold(name, "upgrade"):
			h.handOver = true
		}
	}
	return h, nil
}

// validPartialLines says whether the complete lines of an unfinished head
// all end in CRLF (a bare LF is fasthttp's to judge).
func validPartialLines(buf []byte) bool {
	for i, c := range buf {
		if c == '\n' && (i == 0 || buf[i-1] != '\r') {
			return false
		}
	}
	return true
}

// readCookies finds the client cookie in one Cookie header: pairs split by
// ';', spaces around them ignored. A value fasthttp might read otherwise
// (quoted, or holding spaces) hands the request over.
func (h *requestHead) readCookies(v []byte) {
	for len(v) > 0 {
		var pair []byte
		pair, v, _ = bytes.Cut(v, []byte{';'})
		pair = bytes.TrimSpace(pair)
		name, value, ok := bytes.Cut(pair, []byte{'='})
		if !ok || !bytes.Equal(name, cookieName) {
			continue
		}
		h.cookieSeen++
		h.cookie = value
		if !validClientID(string(value)) {
			h.handOver = true
		}
	}
}

// validToken reports whether b is an HTTP token (a header name).
func validToken(b []byte) bool {
	for _, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validFieldValue accepts visible ASCII, spaces and tabs (no obs-text, no
// control bytes): what the loops read with certainty.
func validFieldValue(b []byte) bool {
	for _, c := range b {
		if (c < ' ' && c != '\t') || c >= 0x7f {
			return false
		}
	}
	return true
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// asciiFold reports whether b equals the lowercase ASCII string s, ignoring
// the case of b.
func asciiFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
