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
	Slug    string
	Title   string
	Speaker string
	// Room is the room's name; RoomSlug its slug (what pages filter on).
	Room     string
	RoomSlug string
	Track    string
	StartsAt time.Time
	EndsAt   time.Time
	// Live is true when the session is happening at the page's now.
	Live bool
	URL  string
	// QAURL is the session's Q&A page (ask and vote).
	QAURL string
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
			Room:     s.RoomName(),
			RoomSlug: s.RoomSlug(),
			Track:    s.Track,
			StartsAt: s.StartsAt.In(loc),
			EndsAt:   s.EndsAt.In(loc),
			Live:     !now.Before(s.StartsAt) && now.Before(s.EndsAt),
			URL:      SessionPath(ev.Slug, s.Slug),
			QAURL:    QAPath(ev.Slug, s.Slug),
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

// RoomVM is one room of an event in a room picker.
type RoomVM struct {
	Slug, Name string
	// URL is the page following this room ("?room=slug"; "" for all rooms).
	URL     string
	Current bool
}

// roomVMs lists "All rooms" then the event's rooms, for a page at path,
// marking the one followed (current, "" for all).
func roomVMs(ev *models.Event, path, current string) []RoomVM {
	if len(ev.Rooms) == 0 {
		return nil
	}
	out := []RoomVM{{Name: "All rooms", URL: path, Current: current == ""}}
	for _, r := range ev.Rooms {
		out = append(out, RoomVM{Slug: r.Slug, Name: r.Name, URL: path + "?room=" + url.QueryEscape(r.Slug), Current: r.Slug == current})
	}
	return out
}

// roomNamed returns the event's room with the slug, or a not-found error.
func roomNamed(ev *models.Event, slug string) (RoomVM, error) {
	for _, r := range ev.Rooms {
		if r.Slug == slug {
			return RoomVM{Slug: r.Slug, Name: r.Name, Current: true}, nil
		}
	}
	return RoomVM{}, models.NotFound("room", slug)
}

// inRoom keeps the items and sessions of one room (all when room is ""),
// at most max items.
func inRoom(items []ItemVM, sessions []SessionVM, room string, max int) ([]ItemVM, []SessionVM) {
	if room != "" {
		var its []ItemVM
		for _, it := range items {
			if it.Room == room {
				its = append(its, it)
			}
		}
		var ss []SessionVM
		for _, s := range sessions {
			if s.RoomSlug == room {
				ss = append(ss, s)
			}
		}
		items, sessions = its, ss
	}
	if max > 0 && len(items) > max {
		items = items[:max]
	}
	return items, sessions
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
	// Reactions are the live sessions' reaction totals of the last minutes
	// by session slug, as AudienceVM.Reactions's JSON (optional).
	Reactions map[string]string
	Now       time.Time
	// Rooms is the room picker ("All rooms" first; empty for an event
	// without rooms); Room the room the page follows (zero for all).
	Rooms []RoomVM
	Room  RoomVM
}

// FollowRoom makes the page follow one room (docs/API.md: the live page
// can follow one room): only that room's posts, at most max, and its
// sessions, so "current session only" is that room's. room "" follows
// every room. An unknown room is a not-found error.
func (vm *EventVM) FollowRoom(ev *models.Event, room string, max int) error {
	if room != "" {
		r, err := roomNamed(ev, room)
		if err != nil {
			return err
		}
		vm.Room = r
	}
	vm.Rooms = roomVMs(ev, EventPath(ev.Slug), room)
	vm.Items, vm.Sessions = inRoom(vm.Items, vm.Sessions, room, max)
	return nil
}

// ReactionsOf is a live session's reactions JSON ("{}" when unknown).
func (vm EventVM) ReactionsOf(slug string) string {
	if r, ok := vm.Reactions[slug]; ok {
		return r
	}
	return "{}"
}

// ReactionsAPI is a session's reactions endpoint.
func ReactionsAPI(event, session string) string {
	return "/api" + SessionPath(event, session) + "/reactions"
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
	// Room is the room this wall stands in (?room=, a slug; "" for the
	// whole event): only its posts, its current session and the spotlights of the
	// whole event or of this room are shown.
	// RoomName is its name.
	Room     string
	RoomName string
	// Questions, when its Session is set, shows that session's top
	// questions beside the stream (WithQuestions).
	Questions WallQuestions
	// QuestionsOn says the wall shows the current session's questions
	// whenever one is live (wall.js reloads when the live session changes).
	QuestionsOn bool
}

// WallQuestions is the wall's panel of the current session's questions.
type WallQuestions struct {
	Session SessionVM
	// Questions are visible, most votes first (the panel shows the one
	// being answered and the top open ones).
	Questions []QuestionVM
	// QAURL is the absolute URL of the session's Q&A page, QR its code.
	QAURL string
	QR    QRCode
	API   string
}

// Top is what the panel shows: the one being answered, then the top open.
func (w WallQuestions) Top() []QuestionVM { return topQuestions(w.Questions, WallTopQuestions) }

// WallTopQuestions is how many open questions the wall's panel shows.
const WallTopQuestions = 3

// WithQuestions adds the panel of a session's questions to the wall; qs
// are visible and in order (realtime.VisibleQuestions).
func (vm WallVM) WithQuestions(session string, qs []live.Question, baseURL string) WallVM {
	for _, s := range vm.Sessions {
		if s.Slug != session {
			continue
		}
		u := strings.TrimRight(baseURL, "/") + s.QAURL
		qr, _ := NewQRCode(u) // fails only past QR capacity: the panel shows the URL alone
		vm.Questions = WallQuestions{Session: s, Questions: NewQuestionVMs(qs), QAURL: u, QR: qr,
			API: "/api" + SessionPath(vm.Event.Slug, s.Slug) + "/questions"}
	}
	return vm
}

// FollowRoom makes the wall show one room (/events/{event}/wall?room=…):
// its posts and its current session. room "" shows every room.
func (vm *WallVM) FollowRoom(ev *models.Event, room string) error {
	if room == "" {
		return nil
	}
	r, err := roomNamed(ev, room)
	if err != nil {
		return err
	}
	vm.Room, vm.RoomName = r.Slug, r.Name
	vm.Items, vm.Sessions = inRoom(vm.Items, vm.Sessions, room, WallMaxItems)
	return nil
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
