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

// pump writes the stream until the client goes away or the node drains.
func (h *Handler) pump(w *streamWriter, eventID int64, q LiveQuery) {
	since, epoch := q.Since, q.Epoch
	// Reconnect soon after a drain or a network blip; the id resumes it.
	if _, err := w.WriteString("retry: 2000\n\n"); err != nil {
		return
	}
	if !q.HasSince {
		s, err := h.snapshot(eventID, q.Limit, false)
		if err != nil {
			h.logger.Error("realtime: stream snapshot", "event", eventID, "err", err)
			return
		}
		if writeSnapshotEvent(w, "snapshot", s) != nil {
			return
		}
		since, epoch = s.Head, s.Epoch
	}
	if w.Flush() != nil {
		return
	}
	for !h.draining.Load() {
		page, err := h.deps.Hub.Poll(context.Background(), eventID, epoch, since, MaxLimit, h.deps.KeepAlive)
		page, err = h.softHistory(eventID, since, page, err)
		if errors.Is(err, ErrDraining) {
			return
		}
		if err != nil {
			h.logger.Error("realtime: stream poll", "event", eventID, "since", since, "err", err)
			return
		}
		switch {
		case page.Reset:
			s, err := h.snapshot(eventID, q.Limit, true)
			if err != nil {
				h.logger.Error("realtime: stream snapshot", "event", eventID, "err", err)
				return
			}
			if writeSnapshotEvent(w, "reset", s) != nil {
				return
			}
			since, epoch = s.Head, s.Epoch
		case len(page.Entries) == 0:
			if page.Next == since {
				if _, err := w.WriteString(": keep-alive\n\n"); err != nil {
					return
				}
			}
			since, epoch = page.Next, page.Epoch
		default:
			if writeEntries(w, page) != nil {
				return
			}
			since, epoch = page.Next, page.Epoch
		}
		if w.Flush() != nil {
			return
		}
	}
}

func writeSnapshotEvent(w *streamWriter, name string, s snapshotAnswer) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return writeEvent(w, s.Head, name, b)
}

func writeEntries(w *streamWriter, p Page) error {
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
func writeEvent(w *streamWriter, id int64, name string, data []byte) error {
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
