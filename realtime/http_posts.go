package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/live"
)

// maxPostBody bounds a post's request body: 500 characters of text and a
// name fit many times over, even as escaped JSON.
const maxPostBody = 16 << 10

// postAnswer is the body of 201 (the entry) and 202 (held: true, the entry).
type postAnswer struct {
	Held bool `json:"held,omitempty"`
	live.Entry
}

// postInput is a decoded post before validation.
type postInput struct {
	Name, Text, ClientPostID string
	// Session is the session whose page the post was made from ("" for
	// the live page): an input of session assignment.
	Session string
	// Room is the room whose page (the live page's ?room=) the post was
	// made from: its session then is the post's page (HandlerDeps.Place).
	Room string
}

// post answers POST /api/events/:event/posts: an attendee's post.
func (h *Handler) post(c *fiber.Ctx) error {
	noStore(c)
	ev, err := h.event(c)
	if err != nil {
		return err
	}
	if ev.Posting == PostingClosed {
		return fiber.NewError(fiber.StatusForbidden, "Posting is closed for this event.")
	}
	if err := h.postingOpen(ev); err != nil {
		return err
	}
	in, err := readPost(c)
	if err != nil {
		return err
	}
	name, text, err := ValidatePost(in.Name, in.Text)
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	key := c.Get("Idempotency-Key")
	if key == "" {
		key = in.ClientPostID
	}
	if key != "" && !ValidIdempotencyKey(key) {
		return fiber.NewError(fiber.StatusBadRequest, "The Idempotency-Key (client_post_id) must be 1 to 128 printable ASCII characters.")
	}
	client := ClientID(c, h.deps.SecureCookie)
	if err := h.limit(c, "posts", client, h.deps.PostRate); err != nil {
		return err
	}
	item := NewPostItem(PostItemID(client, key), name, text, ev.Posting == PostingModerated, h.now())
	if in.Session != "" {
		if !validScheduleSlug(in.Session) {
			return fiber.NewError(fiber.StatusBadRequest, "The session must be a session's slug, like opening-keynote.")
		}
		item.FromSession = in.Session
	}
	if in.Room != "" && !validScheduleSlug(in.Room) {
		return fiber.NewError(fiber.StatusBadRequest, "The room must be a room's slug, like main-hall.")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if h.deps.Moderate != nil {
		if err := h.deps.Moderate(ctx, ev.ID, &item, live.Poster{Client: client, Address: c.IP()}); err != nil {
			if errors.Is(err, ErrPostRefused) {
				return fiber.NewError(fiber.StatusForbidden, "You can no longer post in this event.")
			}
			return fmt.Errorf("realtime: post to event %d: moderate: %w", ev.ID, err)
		}
	}
	if h.deps.Place != nil {
		h.deps.Place(ctx, ev.ID, &item, in.Room)
	}
	res, err := h.deps.Log.AppendItem(ctx, ev.ID, item)
	if err != nil {
		return fmt.Errorf("realtime: post to event %d: %w", ev.ID, err)
	}
	item.Seq = res.Seq
	if !res.Duplicate && h.deps.Appended != nil {
		h.deps.Appended(ctx, ev.ID, item)
	}
	entry := live.Entry{Seq: res.Seq, Op: live.OpAdd, Item: &item}
	if res.Duplicate {
		// A retry: answer with the post as it was first stored.
		es, err := h.deps.Log.Range(ctx, ev.ID, res.Seq-1, 1)
		if err != nil {
			return fmt.Errorf("realtime: post to event %d: read original: %w", ev.ID, err)
		}
		if len(es) == 1 && es[0].Seq == res.Seq && es[0].Item != nil {
			entry = es[0]
		}
	}
	if entry.Item.Held {
		return c.Status(fiber.StatusAccepted).JSON(postAnswer{Held: true, Entry: entry})
	}
	if entry.Item.Hidden {
		// Blocked by a moderation rule: the poster is not told, so a spammer
		// learns nothing from the answer (nobody else will see the post).
		shown := *entry.Item
		shown.Hidden = false
		entry.Item = &shown
	}
	return c.Status(fiber.StatusCreated).JSON(postAnswer{Entry: entry})
}

// readPost decodes a JSON or form body. Invalid UTF-8 is refused per field
// before decoding, because encoding/json would quietly replace it.
func readPost(c *fiber.Ctx) (postInput, error) {
	body := c.Body()
	if len(body) > maxPostBody {
		return postInput{}, fiber.NewError(fiber.StatusRequestEntityTooLarge, "The post is too large.")
	}
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	if strings.HasPrefix(ct, fiber.MIMEApplicationJSON) {
		var raw struct {
			Name         json.RawMessage `json:"name"`
			Text         json.RawMessage `json:"text"`
			ClientPostID json.RawMessage `json:"client_post_id"`
			Session      json.RawMessage `json:"session"`
			Room         json.RawMessage `json:"room"`
		}
		if err := json.Unmarshal(body, &raw); err != nil {
			return postInput{}, fiber.NewError(fiber.StatusBadRequest, `The body must be a JSON object like {"name": "…", "text": "…"}.`)
		}
		var in postInput
		for _, f := range []struct {
			name string
			raw  json.RawMessage
			dst  *string
		}{{"name", raw.Name, &in.Name}, {"text", raw.Text, &in.Text}, {"client_post_id", raw.ClientPostID, &in.ClientPostID}, {"session", raw.Session, &in.Session}, {"room", raw.Room, &in.Room}} {
			if len(f.raw) == 0 || string(f.raw) == "null" {
				continue
			}
			if !utf8.Valid(f.raw) {
				return postInput{}, fiber.NewError(fiber.StatusBadRequest, fmt.Sprintf("The %s is not valid UTF-8.", f.name))
			}
			if err := json.Unmarshal(f.raw, f.dst); err != nil {
				return postInput{}, fiber.NewError(fiber.StatusBadRequest, fmt.Sprintf("The %s must be a string.", f.name))
			}
		}
		return in, nil
	}
	if strings.HasPrefix(ct, fiber.MIMEApplicationForm) || strings.HasPrefix(ct, fiber.MIMEMultipartForm) {
		return postInput{Name: c.FormValue("name"), Text: c.FormValue("text"), ClientPostID: c.FormValue("client_post_id"),
			Session: c.FormValue("session"), Room: c.FormValue("room")}, nil
	}
	return postInput{}, fiber.NewError(fiber.StatusUnsupportedMediaType, "Send the post as JSON or as a form.")
}

// validScheduleSlug reports whether s can be a session's or a room's slug
// (a-z, 0-9 and hyphens, at most 64 characters); whether the event has it
// is the schedule's to say (an unknown one is ignored).
func validScheduleSlug(s string) bool {
	if len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// postingOpen refuses a post once the event has ended, PostingGrace
// (POSTING_GRACE) after its end: the room has left, and an open form on a
// finished event only invites spam into the archive.
func (h *Handler) postingOpen(ev LiveEvent) error {
	if ev.EndsAt.IsZero() || h.deps.PostingGrace < 0 {
		return nil
	}
	closes := ev.EndsAt.Add(h.deps.PostingGrace)
	if h.now().Before(closes) {
		return nil
	}
	return fiber.NewError(fiber.StatusForbidden, "Posting closed when this event ended (at "+closes.UTC().Format("2006-01-02 15:04")+" UTC).")
}
