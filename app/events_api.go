package app

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// EventJSON is an event as GET /api/events lists it.
type EventJSON struct {
	ID         int64     `json:"id"`
	Slug       string    `json:"slug"`
	Title      string    `json:"title"`
	Hashtag    string    `json:"hashtag,omitempty"`
	Timezone   string    `json:"timezone"`
	StartsAt   time.Time `json:"starts_at"`
	EndsAt     time.Time `json:"ends_at"`
	Phase      string    `json:"phase"`
	Posting    string    `json:"posting"`
	Moderation string    `json:"moderation"`
	URL        string    `json:"url"`
}

// SessionJSON is a session with its count of visible items.
type SessionJSON struct {
	Slug    string `json:"slug"`
	Title   string `json:"title"`
	Speaker string `json:"speaker,omitempty"`
	// Room is the room's name (as it always was); RoomSlug its slug.
	Room           string    `json:"room,omitempty"`
	RoomSlug       string    `json:"room_slug,omitempty"`
	Track          string    `json:"track,omitempty"`
	Tags           []string  `json:"tags,omitempty"`
	SpeakerHandles []string  `json:"speaker_handles,omitempty"`
	StartsAt       time.Time `json:"starts_at"`
	EndsAt         time.Time `json:"ends_at"`
	Items          int64     `json:"items"`
	URL            string    `json:"url"`
}

// RoomJSON is one room of an event.
type RoomJSON struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// EventDetailJSON is GET /api/events/{event}: the event, its sessions and counts.
type EventDetailJSON struct {
	EventJSON
	Description string        `json:"description,omitempty"`
	Items       int64         `json:"items"`
	Rooms       []RoomJSON    `json:"rooms"`
	Sessions    []SessionJSON `json:"sessions"`
}

// eventsAPI serves GET /api/events and GET /api/events/{event}.
type eventsAPI struct {
	app    *App
	events *store.Events
}

// Register mounts the events API.
func (e eventsAPI) Register(r fiber.Router) {
	r.Get("/api/events", e.list)
	r.Get("/api/events/:event", e.detail)
}

func (a *App) eventJSON(e *models.Event, now time.Time) EventJSON {
	return EventJSON{ID: e.ID, Slug: e.Slug, Title: e.Title, Hashtag: e.Hashtag, Timezone: e.Timezone,
		StartsAt: e.StartsAt.UTC(), EndsAt: e.EndsAt.UTC(), Phase: e.Phase(now), Posting: e.Posting,
		Moderation: e.Moderation, URL: a.Config.BaseURL.String() + "/events/" + e.Slug}
}

func (e eventsAPI) list(c *fiber.Ctx) error {
	a := e.app
	evs, err := a.Store.ListEvents(c.UserContext())
	if err != nil {
		return err
	}
	now := a.Now()
	out := make([]EventJSON, 0, len(evs))
	for i := range evs {
		out = append(out, a.eventJSON(&evs[i], now))
	}
	return c.JSON(fiber.Map{"events": out})
}

func (e eventsAPI) detail(c *fiber.Ctx) error {
	a := e.app
	ctx := c.UserContext()
	ev, err := e.events.BySlug(ctx, c.Params("event"))
	if err != nil {
		return err
	}
	counts, err := a.Store.SessionCounts(ctx, ev.ID)
	if err != nil {
		return err
	}
	total, err := a.Store.VisibleItemCount(ctx, ev.ID)
	if err != nil {
		return err
	}
	out := EventDetailJSON{EventJSON: a.eventJSON(ev, a.Now()), Description: ev.Description, Items: total,
		Rooms: make([]RoomJSON, 0, len(ev.Rooms)), Sessions: make([]SessionJSON, 0, len(ev.Sessions))}
	for _, r := range ev.Rooms {
		out.Rooms = append(out.Rooms, RoomJSON{Slug: r.Slug, Name: r.Name, URL: out.URL + "/rooms/" + r.Slug})
	}
	for _, s := range ev.Sessions {
		out.Sessions = append(out.Sessions, SessionJSON{Slug: s.Slug, Title: s.Title, Speaker: s.Speaker,
			Room: s.RoomName(), RoomSlug: s.RoomSlug(), Track: s.Track, Tags: s.Tags, SpeakerHandles: s.SpeakerHandles,
			StartsAt: s.StartsAt.UTC(), EndsAt: s.EndsAt.UTC(), Items: counts[s.ID],
			URL: out.URL + "/sessions/" + s.Slug})
	}
	return c.JSON(out)
}
