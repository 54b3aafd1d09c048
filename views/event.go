package views

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// EventPath is the live page's path of an event, "/events/{slug}".
func EventPath(slug string) string { return "/events/" + url.PathEscape(slug) }

// SessionPath is a session page's path, "/events/{event}/sessions/{session}".
func SessionPath(event, session string) string {
	return EventPath(event) + "/sessions/" + url.PathEscape(session)
}

// EventCardVM is an event as lists and page headers show it. Times are in
// the event's own time zone.
type EventCardVM struct {
	Slug        string
	Title       string
	Description string
	// Hashtag is shown with its leading "#" (empty when the event has none).
	Hashtag  string
	TimeZone string
	StartsAt time.Time
	EndsAt   time.Time
	// Phase is "now", "upcoming" or "past".
	Phase string
}

// URL is the event's live page.
func (e EventCardVM) URL() string { return EventPath(e.Slug) }

// WallURL is the event's projector page.
func (e EventCardVM) WallURL() string { return EventPath(e.Slug) + "/wall" }

// ArchiveURL is the event's archive page.
func (e EventCardVM) ArchiveURL() string { return EventPath(e.Slug) + "/archive" }

// Dates is the event's span in its time zone, e.g. "May 24–26, 2026".
func (e EventCardVM) Dates() string { return DateRange(e.StartsAt, e.EndsAt) }

// NewEventCardVM prepares an event for display as of now.
func NewEventCardVM(ev *models.Event, now time.Time) EventCardVM {
	return newEventCardVM(ev, ev.Location(), now)
}

// newEventCardVM takes the already loaded location: LoadLocation reads the
// zone database on every call.
func newEventCardVM(ev *models.Event, loc *time.Location, now time.Time) EventCardVM {
	tag := strings.TrimSpace(ev.Hashtag)
	if tag != "" && !strings.HasPrefix(tag, "#") {
		tag = "#" + tag
	}
	return EventCardVM{
		Slug:        ev.Slug,
		Title:       ev.Title,
		Description: ev.Description,
		Hashtag:     tag,
		TimeZone:    loc.String(),
		StartsAt:    ev.StartsAt.In(loc),
		EndsAt:      ev.EndsAt.In(loc),
		Phase:       ev.Phase(now),
	}
}

// HomeVM is the home page: events happening now, upcoming and past.
type HomeVM struct {
	Now      []EventCardVM
	Upcoming []EventCardVM
	Past     []EventCardVM
}

// NewHomeVM prepares models.GroupEvents's groups, keeping their order.
func NewHomeVM(g models.EventGroups, now time.Time) HomeVM {
	conv := func(evs []models.Event) []EventCardVM {
		out := make([]EventCardVM, 0, len(evs))
		for i := range evs {
			out = append(out, NewEventCardVM(&evs[i], now))
		}
		return out
	}
	return HomeVM{Now: conv(g.Now), Upcoming: conv(g.Upcoming), Past: conv(g.Past)}
}

// SessionVM is one session of an event, times in the event's time zone.
type SessionVM struct {
	Slug     string
	Title    string
	Speaker  string
	Room     string
	StartsAt time.Time
	EndsAt   time.Time
	// Live is true when the session is happening at the page's now.
	Live bool
	URL  string
}

// Span is "09:00–10:00".
func (s SessionVM) Span() string { return TimeSpan(s.StartsAt, s.EndsAt) }

// NewSessionVMs prepares an event's sessions in the given order.
func NewSessionVMs(ev *models.Event, now time.Time) []SessionVM {
	return newSessionVMs(ev, ev.Location(), now)
}

func newSessionVMs(ev *models.Event, loc *time.Location, now time.Time) []SessionVM {
	out := make([]SessionVM, 0, len(ev.Sessions))
	for _, s := range ev.Sessions {
		out = append(out, SessionVM{
			Slug:     s.Slug,
			Title:    s.Title,
			Speaker:  s.Speaker,
			Room:     s.Room,
			StartsAt: s.StartsAt.In(loc),
			EndsAt:   s.EndsAt.In(loc),
			Live:     !now.Before(s.StartsAt) && now.Before(s.EndsAt),
			URL:      SessionPath(ev.Slug, s.Slug),
		})
	}
	return out
}

// LiveSnapshot is what the realtime hub answers for a snapshot: the newest
// visible items oldest first, the log's epoch and its head seq.
type LiveSnapshot struct {
	Items []live.Item
	Epoch string
	Head  int64
}

// EventVM is the live page of an event.
type EventVM struct {
	Event    EventCardVM
	Sessions []SessionVM
	// Items are in stream order (pinned first, then newest first).
	Items []ItemVM
	// Epoch and Head let live.js resume the log right after the snapshot.
	Epoch string
	Head  int64
	// Posting is "open", "moderated" or "closed".
	Posting string
	// CSRFToken, when set, is sent with posts as the _csrf field and the
	// X-CSRF-Token header.
	CSRFToken string
	// Canonical is the page's absolute URL (optional).
	Canonical string
	Now       time.Time
}

// NewEventVM prepares the live page from an event (with its sessions) and a
// snapshot of its live log, as of now.
func NewEventVM(ev *models.Event, snap LiveSnapshot, now time.Time) EventVM {
	loc := ev.Location()
	return EventVM{
		Event:    newEventCardVM(ev, loc, now),
		Sessions: newSessionVMs(ev, loc, now),
		Items:    StreamOrder(NewItemVMs(snap.Items, loc)),
		Epoch:    snap.Epoch,
		Head:     snap.Head,
		Posting:  ev.Posting,
		Now:      now,
	}
}

// LiveSessions are the sessions happening now (several with parallel rooms).
func (vm EventVM) LiveSessions() []SessionVM { return liveOnly(vm.Sessions) }

// PostURL is where the posting form sends attendee posts.
func (vm EventVM) PostURL() string { return "/api" + EventPath(vm.Event.Slug) + "/posts" }

// LiveAPIURL is the long-poll endpoint of the event.
func (vm EventVM) LiveAPIURL() string { return "/api" + EventPath(vm.Event.Slug) + "/live" }

// WallVM is the projector page of an event.
type WallVM struct {
	Event EventCardVM
	// Items are in stream order, at most WallMaxItems of them.
	Items    []ItemVM
	Sessions []SessionVM
	Epoch    string
	Head     int64
	// LiveURL is the absolute URL of the live page, encoded in QR.
	LiveURL string
	// QR is LiveURL as a QR code (Size 0 when it could not be encoded).
	QR  QRCode
	Now time.Time
	// The event's wall settings (models.Event.Wall*): layout "columns" or
	// "masonry", content "mixed", "photos" or "text", theme "dark" or
	// "light", speed (at most one new item every Speed seconds; 0: at
	// once), logo and accent ("#rrggbb" or "").
	Layout, Content, Theme string
	Speed                  int
	LogoURL, Accent        string
	// Room is the room this wall stands in (?room=): a spotlight for
	// another room is not shown here.
	Room string
}

// WallMaxItems bounds the items on the wall, server-side and in wall.js.
const WallMaxItems = 50

// NewWallVM prepares the wall. baseURL is the site's public base URL
// (BASE_URL), used for the QR code's absolute link.
func NewWallVM(ev *models.Event, snap LiveSnapshot, baseURL string, now time.Time) WallVM {
	loc := ev.Location()
	items := StreamOrder(NewItemVMs(snap.Items, loc))
	if len(items) > WallMaxItems {
		items = items[:WallMaxItems]
	}
	if ev.WallContent == models.WallPhotos {
		items = slices.DeleteFunc(items, func(it ItemVM) bool { return len(it.Photos) == 0 && len(it.Videos) == 0 })
	}
	live := strings.TrimRight(baseURL, "/") + EventPath(ev.Slug)
	qr, _ := NewQRCode(live) // fails only past QR capacity: the wall then shows the URL alone
	return WallVM{
		Layout:   oneOf(ev.WallLayout, models.WallColumns, models.WallMasonry),
		Content:  oneOf(ev.WallContent, models.WallMixed, models.WallPhotos, models.WallText),
		Theme:    oneOf(ev.WallTheme, models.ThemeDark, models.ThemeLight),
		Speed:    min(max(ev.WallSpeed, 0), 60),
		LogoURL:  SafeHTTPURL(ev.WallLogoURL),
		Accent:   accentColour(ev.WallAccent),
		Event:    newEventCardVM(ev, loc, now),
		Items:    items,
		Sessions: newSessionVMs(ev, loc, now),
		Epoch:    snap.Epoch,
		Head:     snap.Head,
		LiveURL:  live,
		QR:       qr,
		Now:      now,
	}
}

// Newest is the newest item by seq (nil when there is none): what the
// overlay shows until a spotlight.
func (vm WallVM) Newest() *ItemVM {
	var out *ItemVM
	for i := range vm.Items {
		if out == nil || vm.Items[i].Seq > out.Seq {
			out = &vm.Items[i]
		}
	}
	return out
}

// BodyClass is the wall's body classes: page-wall and its theme.
func (vm WallVM) BodyClass() string { return "page-wall theme-" + vm.Theme }

// oneOf returns v when it is one of allowed, else the first of them.
func oneOf(v string, allowed ...string) string {
	if slices.Contains(allowed, v) {
		return v
	}
	return allowed[0]
}

// accentColour returns c when it is "#rrggbb", else "".
func accentColour(c string) string {
	c = strings.ToLower(strings.TrimSpace(c))
	if len(c) != 7 || c[0] != '#' {
		return ""
	}
	for _, r := range c[1:] {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return ""
		}
	}
	return c
}

// LiveAPIURL is the long-poll endpoint of the event.
func (vm WallVM) LiveAPIURL() string { return "/api" + EventPath(vm.Event.Slug) + "/live" }
