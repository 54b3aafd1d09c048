package realtime

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
)

// stream answers GET /api/events/:event/stream with Server-Sent Events: one
// event per entry (id: seq, event: op, data: entry JSON), resuming after
// Last-Event-ID or ?since=. Without either it starts with an event
// "snapshot" (id: head, data: the snapshot JSON); a wrong epoch or a since
// beyond the head gives an event "reset" of the same shape. A comment line
// every KeepAlive keeps proxies open and finds clients that left.
func (h *Handler) stream(c *fiber.Ctx) error {
	noStore(c)
	if h.draining.Load() {
		return errDraining
	}
	q, err := ParseLiveQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	if last := c.Get("Last-Event-ID"); last != "" {
		n, err := ParseSeq(last)
		if err != nil {
			return fiber.NewError(fiber.StatusBadRequest, "Last-Event-ID must be the id of an event this stream sent.")
		}
		q.HasSince, q.Since = true, n
	}
	ev, client, err := h.admit(c, q)
	if err != nil {
		return err
	}
	release, err := h.park(c, client)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set("X-Accel-Buffering", "no")
	if a := loopAdoptionOf(c); a != nil {
		// The request came through the loop server: its loops carry the
		// stream from here, without a goroutine.
		a.stream = &adoptedStream{eventID: ev.ID, q: q, slots: release}
		return nil
	}
	conn := c.Context().Conn()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer release()
		h.pump(&streamWriter{Writer: w, conn: conn, grace: h.deps.KeepAlive + 15*time.Second}, ev.ID, q)
	})
	return nil
}

// streamWriter pushes the server's write deadline forward before each flush:
// fasthttp sets it once per response (the server's WriteTimeout), which
// would cut every stream after that long.
type streamWriter struct {
	*bufio.Writer
	conn  net.Conn
	grace time.Duration
}

// Flush writes what is buffered within a fresh deadline.
func (s *streamWriter) Flush() error {
	if s.conn != nil {
		if err := s.conn.SetWriteDeadline(time.Now().Add(s.grace)); err != nil {
			return err
		}
	}
	return s.Writer.Flush()
}

// sseWriter is where a stream's events go: fasthttp's chunked body on
// fiber's path, the loop server's chunks on the loops. Each Flush sends what
// was written since the last one.
type sseWriter interface {
	WriteString(s string) (int, error)
	Write(p []byte) (int, error)
	Flush() error
}

// streamPrelude is what every stream starts with: a reconnect delay of 2 s
// (after a drain or a network blip the id resumes it), an event "ready"
// that tells a client the stream flows (a proxy that buffers it holds this
// back, and the client falls back to long polling), and the snapshot when
// the client gave no position.
const streamPrelude = "retry: 2000\n\nevent: ready\ndata: {}\n\n"

// pump writes the stream until the client goes away or the node drains.
func (h *Handler) pump(w sseWriter, eventID int64, q LiveQuery) {
	since, epoch, ok := h.streamStart(w, eventID, q)
	for ok && !h.draining.Load() {
		since, epoch, ok = h.streamStep(w, eventID, since, epoch, q.Limit, h.deps.KeepAlive)
	}
}

// streamStart writes the prelude (and the snapshot without a since) and
// returns the position to follow from; ok is false when the stream must end.
func (h *Handler) streamStart(w sseWriter, eventID int64, q LiveQuery) (since int64, epoch string, ok bool) {
	since, epoch = q.Since, q.Epoch
	if _, err := w.WriteString(streamPrelude); err != nil {
		return 0, "", false
	}
	if !q.HasSince {
		s, err := h.snapshot(eventID, q.Limit, false)
		if err != nil {
			h.logger.Error("realtime: stream snapshot", "event", eventID, "err", err)
			return 0, "", false
		}
		if writeSnapshotEvent(w, "snapshot", s) != nil {
			return 0, "", false
		}
		since, epoch = s.Head, s.Epoch
	}
	return since, epoch, w.Flush() == nil
}

// streamStep waits up to wait for what follows since and writes it: the
// entries, a reset with a fresh snapshot, or a keep-alive comment when
// nothing came. It returns the new position; ok is false when the stream
// must end.
func (h *Handler) streamStep(w sseWriter, eventID, since int64, epoch string, limit int, wait time.Duration) (int64, string, bool) {
	page, err := h.deps.Hub.Poll(context.Background(), eventID, epoch, since, MaxLimit, wait)
	page, err = h.softHistory(eventID, since, page, err)
	if errors.Is(err, ErrDraining) {
		return since, epoch, false
	}
	if err != nil {
		h.logger.Error("realtime: stream poll", "event", eventID, "since", since, "err", err)
		return since, epoch, false
	}
	switch {
	case page.Reset:
		s, err := h.snapshot(eventID, limit, true)
		if err != nil {
			h.logger.Error("realtime: stream snapshot", "event", eventID, "err", err)
			return since, epoch, false
		}
		if writeSnapshotEvent(w, "reset", s) != nil {
			return since, epoch, false
		}
		since, epoch = s.Head, s.Epoch
	case len(page.Entries) == 0:
		if page.Next == since {
			if _, err := w.WriteString(keepAliveComment); err != nil {
				return since, epoch, false
			}
		}
		since, epoch = page.Next, page.Epoch
	default:
		if writeEntries(w, page) != nil {
			return since, epoch, false
		}
		since, epoch = page.Next, page.Epoch
	}
	return since, epoch, w.Flush() == nil
}

// keepAliveComment keeps proxies open and finds clients that left.
const keepAliveComment = ": keep-alive\n\n"

func writeSnapshotEvent(w sseWriter, name string, s snapshotAnswer) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return writeEvent(w, s.Head, name, b)
}

func writeEntries(w sseWriter, p Page) error {
	for i, e := range p.Entries {
		var b []byte
		if i < len(p.Raw) && len(p.Raw) == len(p.Entries) {
			b = p.Raw[i]
		} else {
			var err error
			if b, err = json.Marshal(e); err != nil {
				return err
			}
		}
		if err := writeEvent(w, e.Seq, e.Op, b); err != nil {
			return err
		}
	}
	return nil
}

// writeEvent writes one SSE event. Entry JSON holds no raw newline (JSON
// escapes them), so data fits on one line.
func writeEvent(w sseWriter, id int64, name string, data []byte) error {
	var buf [20]byte
	w.WriteString("id: ")
	w.Write(strconv.AppendInt(buf[:0], id, 10))
	w.WriteString("\nevent: ")
	w.WriteString(name)
	w.WriteString("\ndata: ")
	w.Write(data)
	_, err := w.WriteString("\n\n")
	return err
}
