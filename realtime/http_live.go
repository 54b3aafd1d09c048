package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// snapshotAnswer is the body of a snapshot (and of a reset).
type snapshotAnswer struct {
	Reset bool        `json:"reset,omitempty"`
	Items []live.Item `json:"items"`
	Epoch string      `json:"epoch"`
	Head  int64       `json:"head"`
	Next  int64       `json:"next"`
}

// live answers GET /api/events/:event/live: a snapshot without since, a long
// poll with it.
func (h *Handler) live(c *fiber.Ctx) error {
	noStore(c)
	if h.draining.Load() {
		return errDraining
	}
	q, err := ParseLiveQuery(string(c.Request().URI().QueryString()))
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	ev, client, err := h.admit(c, q)
	if err != nil {
		return err
	}
	if !q.HasSince {
		return h.sendSnapshot(c, ev.ID, q.Limit)
	}
	if q.Wait > 0 {
		release, err := h.park(c, client)
		if err != nil {
			return err
		}
		if a := loopAdoptionOf(c); a != nil && h.deps.Hub.InMemory(ev.ID, q.Since) {
			// The request came through the loop server: its loops wait for
			// the answer, without a goroutine.
			a.poll = &adoptedPoll{eventID: ev.ID, q: q, slots: release}
			return nil
		}
		defer release()
	}
	body, err := h.pollAnswer(ev.ID, q)
	if err != nil {
		return err
	}
	c.Response().Header.SetContentTypeBytes(jsonContentType)
	c.Response().SetBodyRaw(body) // may be shared by every waiter on this page: fasthttp only reads it
	return nil
}

// pollAnswer waits for the long poll q of an event and returns the JSON to
// answer it with: the page, or a snapshot marked reset. Both the fast path
// and fiber's answer through it.
func (h *Handler) pollAnswer(eventID int64, q LiveQuery) ([]byte, error) {
	// fasthttp never says a client left: the hub's own timer ends the wait,
	// and it bounds its reads of Redis and Postgres itself.
	page, err := h.deps.Hub.Poll(context.Background(), eventID, q.Epoch, q.Since, q.Limit, q.Wait)
	page, err = h.softHistory(eventID, q.Since, page, err)
	if errors.Is(err, ErrDraining) {
		return nil, errDraining
	}
	if err != nil {
		return nil, fmt.Errorf("realtime: poll event %d since %d: %w", eventID, q.Since, err)
	}
	if page.Reset {
		a, err := h.snapshot(eventID, q.Limit, true)
		if err != nil {
			return nil, err
		}
		return json.Marshal(a)
	}
	if page.JSON != nil {
		return page.JSON, nil
	}
	return encodePage(page)
}

// softHistory turns a poll that failed only because Postgres cannot be
// reached (its since is older than Redis holds) into a reset: the client
// starts again from a snapshot, which Redis serves, instead of getting a
// 5xx (docs/ARCHITECTURE.md, "When Postgres is down").
func (h *Handler) softHistory(eventID, since int64, page Page, err error) (Page, error) {
	if err == nil || !errors.Is(err, models.ErrUnavailable) {
		return page, err
	}
	h.logger.Warn("realtime: history in Postgres unavailable; the client resets to a snapshot", "event", eventID, "since", since, "err", err)
	return Page{Reset: true}, nil
}

var jsonContentType = []byte(fiber.MIMEApplicationJSON)

// admit resolves the event and the client of a live request and charges the
// client's history limit when the request must read Redis or Postgres (a
// snapshot, or a since behind this node's memory); polls at the head are free.
func (h *Handler) admit(c *fiber.Ctx, q LiveQuery) (LiveEvent, string, error) {
	ev, err := h.event(c)
	if err != nil {
		return LiveEvent{}, "", err
	}
	client := ClientID(c, h.deps.SecureCookie)
	if !q.HasSince || h.expensive(ev.ID, q.Since) {
		if err := h.limit(c, "history", client, h.deps.HistoryRate); err != nil {
			return LiveEvent{}, "", err
		}
	}
	return ev, client, nil
}

func (h *Handler) snapshot(ev int64, limit int, reset bool) (snapshotAnswer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := h.deps.Hub.Snapshot(ctx, ev, limit)
	if err != nil {
		return snapshotAnswer{}, fmt.Errorf("realtime: snapshot of event %d: %w", ev, err)
	}
	items := s.Items
	if items == nil {
		items = []live.Item{}
	}
	return snapshotAnswer{Reset: reset, Items: items, Epoch: s.Epoch, Head: s.Head, Next: s.Head}, nil
}

func (h *Handler) sendSnapshot(c *fiber.Ctx, ev int64, limit int) error {
	a, err := h.snapshot(ev, limit, false)
	if err != nil {
		return err
	}
	return c.JSON(a)
}
