package sources

import (
	"bytes"
	"errors"
	"io"
)

// SSEEvent is one dispatched Server-Sent Event.
type SSEEvent struct {
	Event string
	Data  []byte
	ID    string
}

// sseReader decodes a text/event-stream (WHATWG rules: "field: value" lines,
// data lines joined by "\n", a blank line dispatches, ":" starts a comment).
type sseReader struct {
	lines *lineReader
	event string
	id    string
	data  bytes.Buffer
	has   bool // a data line was read for the current event
	// alive is called for every line, comments and keep-alives included, so
	// a watchdog can tell a silent stream from a quiet one.
	alive func()
}

func newSSEReader(r io.Reader, alive func()) *sseReader {
	if alive == nil {
		alive = func() {}
	}
	return &sseReader{lines: newLineReader(r, MaxLine), alive: alive}
}

// next returns the next event. ErrLineTooLong means an event was dropped and
// reading may go on; io.ErrUnexpectedEOF means the stream ended inside an
// event (which is not dispatched).
func (s *sseReader) next() (SSEEvent, error) {
	for {
		line, err := s.lines.next()
		if err != nil {
			if errors.Is(err, ErrLineTooLong) {
				s.reset()
				s.alive()
				return SSEEvent{}, err
			}
			if errors.Is(err, io.ErrUnexpectedEOF) || (errors.Is(err, io.EOF) && s.has) {
				s.reset()
				return SSEEvent{}, io.ErrUnexpectedEOF
			}
			return SSEEvent{}, err
		}
		s.alive()
		if len(line) == 0 {
			if !s.has {
				s.reset()
				continue
			}
			ev := SSEEvent{Event: s.event, Data: bytes.Clone(s.data.Bytes()), ID: s.id}
			s.reset()
			if ev.Event == "" {
				ev.Event = "message"
			}
			return ev, nil
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "event":
			s.event = string(value)
		case "data":
			if s.has {
				s.data.WriteByte('\n')
			}
			s.data.Write(value)
			s.has = true
		case "id":
			s.id = string(value)
		}
	}
}

func (s *sseReader) reset() {
	s.event, s.has = "", false
	s.data.Reset()
}

// ParseSSE decodes a whole event stream (for tests and fuzzing): the events
// dispatched, and how many were dropped for being too long.
func ParseSSE(r io.Reader) (events []SSEEvent, dropped int, err error) {
	sr := newSSEReader(r, nil)
	for {
		ev, err := sr.next()
		switch {
		case err == nil:
			events = append(events, ev)
		case errors.Is(err, ErrLineTooLong):
			dropped++
		case errors.Is(err, io.EOF):
			return events, dropped, nil
		default:
			return events, dropped, err
		}
	}
}
