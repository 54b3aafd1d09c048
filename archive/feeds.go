package archive

import (
	"html"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/feeds"

	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/views"
)

// feedSize is how many of the newest items a feed carries.
const feedSize = 50

// eventFeed serves /events/{event}/feed.atom.
func (h *Handler) eventFeed(c *fiber.Ctx) error {
	ec, err := h.resolve(c)
	if err != nil {
		return err
	}
	sc, err := h.scopeOf(c, ec)
	if err != nil {
		return err
	}
	if sc.kind == "session" {
		return h.feed(c, ec, scope{kind: "session", name: sc.name, sessionID: sc.sessionID}, sc.name)
	}
	return h.feed(c, ec, sc, "")
}

// sessionFeed serves /events/{event}/sessions/{session}/feed.atom.
func (h *Handler) sessionFeed(c *fiber.Ctx) error {
	ec, err := h.resolve(c)
	if err != nil {
		return err
	}
	sess, err := h.session(ec, c.Params("session"))
	if err != nil {
		return err
	}
	return h.feed(c, ec, scope{kind: "session", name: sess.Slug, sessionID: sess.ID}, sess.Slug)
}

// feed writes the newest visible items of an event (or of one session,
// room or track: ?room=R, ?track=T on the event's feed) as Atom.
func (h *Handler) feed(c *fiber.Ctx, ec *eventCtx, sc scope, sessionSlug string) error {
	body, err := cached(h.cache, ec.key("feed", sessionSlug, sc.key()), func() ([]byte, int64, error) {
		rows, err := h.store.Items(c.UserContext(), sc.query(store.ItemQuery{EventID: ec.ev.ID, Desc: true, Limit: feedSize}))
		if err != nil {
			return nil, 0, err
		}
		base := h.opts.BaseURL
		if base == "" {
			base = c.BaseURL()
		}
		ev := ec.ev
		title, page, self := ev.Title, views.EventPath(ev.Slug)+"/archive", views.EventPath(ev.Slug)+"/feed.atom"
		switch {
		case sessionSlug != "":
			s := ec.bySlug[sessionSlug]
			title = s.Title + " · " + ev.Title
			page = views.SessionPath(ev.Slug, sessionSlug)
			self = page + "/feed.atom"
		case sc.kind == "room":
			title = ec.rooms[sc.name].Name + " · " + ev.Title
			self += "?room=" + url.QueryEscape(sc.name)
		case sc.kind == "track":
			title = sc.name + " · " + ev.Title
			self += "?track=" + url.QueryEscape(sc.name)
		}
		f := &feeds.Feed{
			Title:       title,
			Link:        &feeds.Link{Href: base + page, Rel: "alternate", Type: "text/html"},
			Id:          base + self,
			Description: "The conversation around " + title + ".",
			Updated:     ev.UpdatedAt,
		}
		for _, r := range rows {
			it := h.item(ec, r)
			link := base + views.EventPath(ev.Slug) + "/items/" + strconv.FormatInt(it.Seq, 10)
			content := it.HTML
			if content == "" {
				content = "<p>" + html.EscapeString(it.Text) + "</p>"
			}
			for _, m := range it.Media {
				if u := views.SafeHTTPURL(m.URL); u != "" {
					content += `<p><a href="` + html.EscapeString(u) + `">` + html.EscapeString(mediaLabel(m.Alt)) + `</a></p>`
				}
			}
			f.Items = append(f.Items, &feeds.Item{
				Id:      link,
				Title:   entryTitle(it.Author.Name, it.Author.Handle, it.Text),
				Link:    &feeds.Link{Href: link},
				Author:  &feeds.Author{Name: authorName(it.Author.Name, it.Author.Handle)},
				Created: it.CreatedAt,
				Updated: it.CreatedAt,
				Content: content,
			})
			if it.CreatedAt.After(f.Updated) {
				f.Updated = it.CreatedAt
			}
		}
		if f.Updated.IsZero() {
			f.Updated = time.Unix(0, 0).UTC()
		}
		atom, err := f.ToAtom()
		if err != nil {
			return nil, 0, err
		}
		return []byte(atom), int64(len(atom)), nil
	})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/atom+xml; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=30")
	return c.Send(body)
}

func mediaLabel(alt string) string {
	if alt != "" {
		return "Photo: " + alt
	}
	return "Photo"
}

func authorName(name, handle string) string {
	if n := strings.TrimSpace(name); n != "" {
		return n
	}
	if h := strings.TrimSpace(handle); h != "" {
		return h
	}
	return "Anonymous"
}

// entryTitle is "Author: first words of the text".
func entryTitle(name, handle, text string) string {
	t := strings.Join(strings.Fields(text), " ")
	if r := []rune(t); len(r) > 80 {
		t = string(r[:79]) + "…"
	}
	if t == "" {
		t = "(photo)"
	}
	return authorName(name, handle) + ": " + t
}
