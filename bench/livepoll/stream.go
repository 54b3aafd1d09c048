package main

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/backchannel/backchannel/realtime"
)

// Streams (SSE) run on the same epoll loops as the long polls: one request
// per connection, then a chunked body decoded as it comes and split into
// events, so the tool costs as little per delivery as for long polls.

// streamProto is what a streaming client says and how it reads events.
type streamProto interface {
	// request appends the request that opens the stream.
	request(buf []byte, host string) []byte
	// head checks the answer's status and headers.
	head(status int, cookie string) error
	// event handles one event read at at.
	event(name string, data []byte, at time.Time) error
}

// sseReader decodes one streamed answer: its head, its chunked (or plain)
// body, and the Server-Sent Events in it.
type sseReader struct {
	headDone bool
	chunked  bool
	// chunkLeft is what is left of the current chunk's data, -1 while a
	// chunk size line is read, -2 while a chunk's closing CRLF is.
	chunkLeft int
	raw       []byte // bytes not yet decoded
	text      []byte // body text not yet split into events
}

var errStreamEnded = errors.New("the server ended the stream")

// feed decodes b and calls p for every complete event.
func (r *sseReader) feed(b []byte, p streamProto, at time.Time) error {
	r.raw = append(r.raw, b...)
	if !r.headDone {
		end := bytes.Index(r.raw, []byte("\r\n\r\n"))
		if end < 0 {
			if len(r.raw) > 64<<10 {
				return fmt.Errorf("%w: headers over 64 KiB", errAnswer)
			}
			return nil
		}
		status, chunked, cookie, err := parseStreamHead(r.raw[:end])
		if err != nil {
			return err
		}
		if err := p.head(status, cookie); err != nil {
			return err
		}
		r.headDone, r.chunked, r.chunkLeft = true, chunked, -1
		r.raw = r.raw[end+4:]
	}
	if !r.chunked {
		r.text = append(r.text, r.raw...)
		r.raw = r.raw[:0]
	}
	for r.chunked && len(r.raw) > 0 {
		switch {
		case r.chunkLeft == -1:
			line, rest, ok := bytes.Cut(r.raw, []byte("\r\n"))
			if !ok {
				if len(r.raw) > 32 {
					return fmt.Errorf("%w: a chunk size line of %d bytes", errAnswer, len(r.raw))
				}
				goto events
			}
			n, err := strconv.ParseInt(string(line), 16, 32)
			if err != nil || n < 0 {
				return fmt.Errorf("%w: chunk size %q", errAnswer, line)
			}
			if n == 0 {
				return errStreamEnded
			}
			r.chunkLeft, r.raw = int(n), rest
		case r.chunkLeft == -2:
			if len(r.raw) < 2 {
				goto events
			}
			if r.raw[0] != '\r' || r.raw[1] != '\n' {
				return fmt.Errorf("%w: a chunk without its CRLF", errAnswer)
			}
			r.raw, r.chunkLeft = r.raw[2:], -1
		default:
			n := min(r.chunkLeft, len(r.raw))
			r.text = append(r.text, r.raw[:n]...)
			r.raw, r.chunkLeft = r.raw[n:], r.chunkLeft-n
			if r.chunkLeft == 0 {
				r.chunkLeft = -2
			}
		}
	}
events:
	r.raw = append(r.raw[:0], r.raw...)
	for {
		end := bytes.Index(r.text, []byte("\n\n"))
		if end < 0 {
			break
		}
		block := r.text[:end]
		var name, data []byte
		for len(block) > 0 {
			var line []byte
			line, block, _ = bytes.Cut(block, []byte("\n"))
			switch {
			case bytes.HasPrefix(line, []byte("event: ")):
				name = line[7:]
			case bytes.HasPrefix(line, []byte("data: ")):
				data = line[6:]
			}
		}
		if data != nil {
			if len(name) == 0 {
				name = []byte("message")
			}
			if err := p.event(string(name), data, at); err != nil {
				return err
			}
		}
		r.text = r.text[end+2:]
	}
	r.text = append(r.text[:0], r.text...)
	return nil
}

// parseStreamHead reads a stream's status line and the headers the tool
// needs.
func parseStreamHead(head []byte) (status int, chunked bool, cookie string, err error) {
	line, rest, _ := bytes.Cut(head, []byte("\r\n"))
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, "", errAnswer
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, false, "", errAnswer
	}
	for len(rest) > 0 {
		line, rest, _ = bytes.Cut(rest, []byte("\r\n"))
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			return 0, false, "", errAnswer
		}
		value = bytes.TrimSpace(value)
		switch {
		case asciiEqualFold(name, "Transfer-Encoding"):
			chunked = asciiEqualFold(value, "chunked")
		case asciiEqualFold(name, "Set-Cookie"):
			if v, ok := bytes.CutPrefix(value, []byte(realtime.ClientCookie+"=")); ok {
				v, _, _ = bytes.Cut(v, []byte(";"))
				cookie = string(v)
			}
		}
	}
	return status, chunked, cookie, nil
}

// sseProto speaks the Live API's stream, resuming from the client's position.
type sseProto struct{ c *client }

func (p sseProto) request(buf []byte, host string) []byte {
	c := p.c
	buf = append(buf, "GET /api/events/"...)
	buf = append(buf, url.PathEscape(c.cfg.event)...)
	buf = append(buf, "/stream?since="...)
	buf = strconv.AppendInt(buf, c.since, 10)
	if c.epoch != "" {
		buf = append(buf, "&epoch="...)
		buf = append(buf, url.QueryEscape(c.epoch)...)
	}
	buf = append(buf, " HTTP/1.1\r\nHost: "...)
	buf = append(buf, host...)
	buf = append(buf, "\r\nAccept: text/event-stream\r\n"...)
	if c.cookie != "" {
		buf = append(buf, "Cookie: "+realtime.ClientCookie+"="...)
		buf = append(buf, c.cookie...)
		buf = append(buf, "\r\n"...)
	}
	return append(buf, "\r\n"...)
}

func (p sseProto) head(status int, cookie string) error {
	if cookie != "" {
		p.c.cookie = cookie
	}
	if status != http.StatusOK {
		return fmt.Errorf("stream status %d", status)
	}
	return nil
}

func (p sseProto) event(name string, data []byte, at time.Time) error {
	c := p.c
	switch name {
	case "ready":
		return nil
	case "snapshot", "reset":
		pg, err := parsePage(data)
		if err != nil {
			return err
		}
		c.mu.Lock()
		c.resets++
		c.mu.Unlock()
		c.since, c.epoch = pg.Head, pg.Epoch
		return nil
	}
	e, err := parseEntry(data)
	if err != nil {
		return fmt.Errorf("event %s: %w", name, err)
	}
	c.record([]entry{e}, at)
	c.since = max(c.since, e.Seq)
	return nil
}

// centrifugoProto speaks Centrifugo's unidirectional SSE (uni_sse): one
// connect command in the URL subscribing to the channel, then pushes as
// JSON events: {"connect":…}, {"channel":…,"pub":{"data":…}}, {} pings.
type centrifugoProto struct{ c *client }

func (p centrifugoProto) request(buf []byte, host string) []byte {
	connect := `{"subs":{"` + p.c.cfg.event + `":{}}}`
	buf = append(buf, "GET /connection/uni_sse?cf_connect="...)
	buf = append(buf, url.QueryEscape(connect)...)
	buf = append(buf, " HTTP/1.1\r\nHost: "...)
	buf = append(buf, host...)
	return append(buf, "\r\nAccept: text/event-stream\r\n\r\n"...)
}

func (p centrifugoProto) head(status int, _ string) error {
	if status != http.StatusOK {
		return fmt.Errorf("centrifugo stream status %d", status)
	}
	return nil
}

func (p centrifugoProto) event(_ string, data []byte, at time.Time) error {
	var seq, sent int64
	s := scanner{b: data}
	err := s.object(func(key string) error {
		if key != "pub" {
			return s.skip()
		}
		return s.object(func(key string) error {
			if key != "data" {
				return s.skip()
			}
			return s.object(func(key string) error {
				switch key {
				case "seq":
					return s.int(&seq)
				case "sent":
					return s.int(&sent)
				}
				return s.skip()
			})
		})
	})
	if err != nil {
		return fmt.Errorf("centrifugo push %q: %w", data, err)
	}
	if seq > 0 {
		p.c.recordAt(seq, time.Unix(0, sent), at)
	}
	return nil
}
