package schedule

import (
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// Session is one session as assignment sees it.
type Session struct {
	ID       int64
	Slug     string
	Room     string // the room's slug ("" for none)
	Track    string
	StartsAt time.Time
	EndsAt   time.Time
}

// Placement is where the rule puts an item: a session (nil for none) and
// the rule that chose it (models.PlacedBy…, PlacedAmbiguous or PlacedNone).
type Placement struct {
	Session *Session
	Rule    string
}

// Schedule is an event's sessions compiled for assignment. It is immutable
// and safe for concurrent use.
type Schedule struct {
	sessions []Session // by start time
	bySlug   map[string]int
	byID     map[int64]int
	words    map[string][]int    // one-word tags → sessions
	phrases  map[string][]phrase // first word of a tag of several words → phrases
	handles  map[Handle][]int
}

type phrase struct {
	words   []string
	session int
}

// New compiles sessions (each with its Room loaded, see store.LinkRooms).
func New(sessions []models.Session) *Schedule {
	s := &Schedule{bySlug: map[string]int{}, byID: map[int64]int{}, words: map[string][]int{},
		phrases: map[string][]phrase{}, handles: map[Handle][]int{}}
	sorted := make([]models.Session, len(sessions))
	copy(sorted, sessions)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].StartsAt.Before(sorted[j].StartsAt) })
	for i := range sorted {
		m := &sorted[i]
		s.sessions = append(s.sessions, Session{ID: m.ID, Slug: m.Slug, Room: m.RoomSlug(), Track: m.Track,
			StartsAt: m.StartsAt, EndsAt: m.EndsAt})
		s.bySlug[m.Slug] = i
		s.byID[m.ID] = i
		for _, tag := range m.Tags {
			ws := words(fold(strings.TrimPrefix(strings.TrimSpace(tag), "#")), nil)
			switch len(ws) {
			case 0:
			case 1:
				s.words[ws[0]] = appendOnce(s.words[ws[0]], i)
			default:
				s.phrases[ws[0]] = append(s.phrases[ws[0]], phrase{ws, i})
			}
		}
		for _, raw := range m.SpeakerHandles {
			if h, err := ParseHandle(raw); err == nil {
				s.handles[h] = appendOnce(s.handles[h], i)
			}
		}
	}
	return s
}

// Sessions returns the schedule's sessions by start time (do not modify).
func (s *Schedule) Sessions() []Session { return s.sessions }

// BySlug returns the session with slug, or nil.
func (s *Schedule) BySlug(slug string) *Session {
	if i, ok := s.bySlug[slug]; ok {
		return &s.sessions[i]
	}
	return nil
}

// ByID returns the session with id, or nil.
func (s *Schedule) ByID(id int64) *Session {
	if i, ok := s.byID[id]; ok {
		return &s.sessions[i]
	}
	return nil
}

// AfterTalk is how long after a session ends a post from its room's page
// still goes to it: the questions and thanks of the break that follows.
const AfterTalk = 15 * time.Minute

// InRoomAt returns the session an attendee posting at t from the page of
// room means: the room's session whose window holds t, else the room's
// latest session that ended at most AfterTalk before t; nil for none (or
// an unknown room). The posting path turns it into the item's FromSession.
func (s *Schedule) InRoomAt(room string, t time.Time) *Session {
	if s == nil || room == "" {
		return nil
	}
	var after *Session
	for i := range s.sessions {
		x := &s.sessions[i]
		if x.Room != room {
			continue
		}
		if x.StartsAt.After(t) {
			break // sorted by start
		}
		switch {
		case t.Before(x.EndsAt):
			return x
		case t.Sub(x.EndsAt) <= AfterTalk && (after == nil || x.EndsAt.After(after.EndsAt)):
			after = x
		}
	}
	return after
}

// Apply places it (Place) and writes the result into it: Session and Room
// are the chosen session's slugs, or empty.
func (s *Schedule) Apply(it *live.Item) Placement {
	p := s.Place(*it)
	it.Session, it.Room = "", ""
	if p.Session != nil {
		it.Session, it.Room = p.Session.Slug, p.Session.Room
	}
	return p
}

// Place decides where it belongs by the rule of the package doc. It reads
// the item's text, HTML (Mastodon's mention links), author handle, source,
// created_at and FromSession; never its current Session.
func (s *Schedule) Place(it live.Item) Placement {
	if s == nil || len(s.sessions) == 0 {
		return Placement{}
	}
	from := -1
	if it.FromSession != "" {
		if i, ok := s.bySlug[it.FromSession]; ok {
			from = i
		}
	}
	at := it.CreatedAt
	narrow := func(cands []int, rule string, more ...[]int) Placement {
		for _, m := range more {
			if len(cands) == 1 {
				break
			}
			if both := intersect(cands, m); len(both) > 0 {
				cands = both
			}
		}
		if len(cands) == 1 {
			return Placement{&s.sessions[cands[0]], rule}
		}
		return Placement{Rule: models.PlacedAmbiguous}
	}
	var fromSet []int
	if from >= 0 {
		fromSet = []int{from}
	}
	window := s.holding(at)
	tagged := s.tagged(it.Text)
	spoken := s.spoken(it)
	switch {
	case len(tagged) > 0:
		return narrow(tagged, models.PlacedByTag, spoken, fromSet, window)
	case len(spoken) > 0:
		return narrow(spoken, models.PlacedByHandle, fromSet, window)
	case from >= 0:
		return Placement{&s.sessions[from], models.PlacedByPage}
	case len(window) == 1:
		return Placement{&s.sessions[window[0]], models.PlacedByTime}
	case len(window) > 1:
		return Placement{Rule: models.PlacedAmbiguous}
	}
	return Placement{Rule: models.PlacedNone}
}

// holding returns the sessions whose window [start, end) holds t.
func (s *Schedule) holding(t time.Time) []int {
	var out []int
	for i := range s.sessions {
		x := &s.sessions[i]
		if x.StartsAt.After(t) {
			break // sorted by start
		}
		if t.Before(x.EndsAt) {
			out = append(out, i)
		}
	}
	return out
}

// tagged returns the sessions whose tags text carries.
func (s *Schedule) tagged(text string) []int {
	if len(s.words) == 0 && len(s.phrases) == 0 || text == "" {
		return nil
	}
	var ws [32]string
	toks := words(fold(text), ws[:0])
	var out []int
	for i, w := range toks {
		for _, j := range s.words[w] {
			out = appendOnce(out, j)
		}
		for _, p := range s.phrases[w] {
			if i+len(p.words) <= len(toks) && equalWords(toks[i:i+len(p.words)], p.words) {
				out = appendOnce(out, p.session)
			}
		}
	}
	return out
}

// spoken returns the sessions whose speakers wrote or are mentioned in it.
func (s *Schedule) spoken(it live.Item) []int {
	if len(s.handles) == 0 {
		return nil
	}
	var out []int
	add := func(h Handle) {
		for _, j := range s.handles[h] {
			out = appendOnce(out, j)
		}
	}
	if h, ok := authorHandle(it); ok {
		add(h)
	}
	if strings.IndexByte(it.Text, '@') >= 0 {
		mentions(it, add)
	}
	if it.Source == Mastodon && strings.Contains(it.HTML, "/@") {
		mastodonLinks(it.HTML, add)
	}
	return out
}

// authorHandle is the item's author as a handle of its network.
func authorHandle(it live.Item) (Handle, bool) {
	h := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(it.Author.Handle), "@"))
	if h == "" {
		return Handle{}, false
	}
	switch it.Source {
	case Mastodon:
		if strings.Contains(h, "@") {
			return Handle{Mastodon, h}, true
		}
	case Bluesky:
		if !strings.HasPrefix(h, "did:") {
			return Handle{Bluesky, h}, true
		}
	case X:
		return Handle{X, h}, true
	}
	return Handle{}, false
}

// mentions calls add for every handle written out in the text: @user@host
// (Mastodon) and @handle.tld (Bluesky) in any post; @user (X) only in
// posts of X, attendees and feeds, since Mastodon and Bluesky show their
// own short mentions that way.
func mentions(it live.Item, add func(Handle)) {
	text := it.Text
	xOK := it.Source != Mastodon && it.Source != Bluesky
	for i := 0; i < len(text); i++ {
		if text[i] != '@' {
			continue
		}
		if i > 0 && isHandleByte(text[i-1]) {
			continue // the middle of an address
		}
		j := i + 1
		for j < len(text) && (isHandleByte(text[j]) || text[j] == '@' || text[j] == '.') {
			j++
		}
		tok := strings.TrimRight(strings.ToLower(text[i:j]), ".-")
		i = j - 1
		if len(tok) < 2 {
			continue
		}
		h, err := ParseHandle(tok)
		if err != nil || (h.Network == X && !xOK) {
			continue
		}
		add(h)
	}
}

func isHandleByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// mastodonLinks finds Mastodon's mention links (href="https://host/@user")
// in sanitized HTML.
func mastodonLinks(html string, add func(Handle)) {
	for rest := html; ; {
		i := strings.Index(rest, `href="https://`)
		if i < 0 {
			return
		}
		rest = rest[i+len(`href="https://`):]
		end := strings.IndexByte(rest, '"')
		if end < 0 {
			return
		}
		host, path, ok := strings.Cut(rest[:end], "/@")
		rest = rest[end:]
		if !ok || strings.ContainsAny(path, "/?#") || strings.Contains(host, "/") {
			continue
		}
		if h, err := ParseHandle("@" + path + "@" + host); err == nil && h.Network == Mastodon {
			add(h)
		}
	}
}

// fold lower-cases s for comparison (ASCII fast path).
func fold(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// words appends the words of s (letters, digits, marks, underscores) to dst;
// a hashtag is its word.
func words(s string, dst []string) []string {
	start := -1
	for i, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '_' {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			dst = append(dst, s[start:i])
			start = -1
		}
	}
	if start >= 0 {
		dst = append(dst, s[start:])
	}
	return dst
}

func equalWords(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func appendOnce(xs []int, x int) []int {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}

func intersect(a, b []int) []int {
	var out []int
	for _, x := range a {
		for _, y := range b {
			if x == y {
				out = append(out, x)
				break
			}
		}
	}
	return out
}
