package moderation

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// Rules is an event's moderation rules, compiled once: the one matcher that
// decides at ingest (sources, attendee posts) and when a rule is applied to
// past items, so both give the same verdict for the same item.
//
// What it decides, in order (Apply):
//   - hidden: a ban of the author (handle or name), a banned word, a ban of
//     a room poster's browser or address, or an ingest filter (replies,
//     reposts, bots, sensitive-marked posts, languages) of the event or of
//     the item's source;
//   - held for a moderator: the event holds every item (moderation
//     "before"), the default blocklist matches, or sensitive media are held
//     (Settings.HoldSensitive) — unless the author is on the allow list.
type Rules struct {
	authors []authorRule
	words   []wordRule
	allowed []string // folded full handles, without the leading @
	clients []timedValue
	addrs   []timedValue
	// HoldAll holds every item for approval (event moderation "before").
	HoldAll bool
	set     Settings
	source  Filter // the filter of the source Apply judges for (ForSource)
	sources map[int64]Filter
	open    func(token string) (SealedPoster, bool)
	now     func() time.Time
}

type authorRule struct {
	handle  string // folded, without the leading @
	name    string // folded
	local   bool   // the rule has no domain: it matches the local part of any handle
	expires time.Time
}

type wordRule struct {
	word    string // folded
	expires time.Time
}

type timedValue struct {
	value   string
	expires time.Time // zero: never
}

func active(expires, now time.Time) bool { return expires.IsZero() || now.Before(expires) }

// Settings are an event's choices beyond its rules: the default blocklist,
// what happens to sensitive media, and the event-wide ingest filter.
type Settings struct {
	// Blocklist holds items it matches for a moderator (nil: off).
	Blocklist *Blocklist
	// HoldSensitive holds items whose media is sensitive or that carry a
	// content warning (the event's sensitive media "hold").
	HoldSensitive bool
	// Filter drops items of every source of the event.
	Filter Filter
}

// Compile builds the matcher of an event's rule rows. holdAll is the event's
// moderation "before". Expired rows still compile and stop matching at their
// end, so a copy of the rules kept for a while never outlives a ban.
func Compile(rows []models.ModerationRule, holdAll bool) Rules {
	r := Rules{HoldAll: holdAll}
	for _, row := range rows {
		var until time.Time
		if row.ExpiresAt != nil {
			until = *row.ExpiresAt
		}
		switch row.Kind {
		case models.RuleAuthor:
			r = r.withAuthor(row.Value, until)
		case models.RuleWord:
			r = r.withWord(row.Value, until)
		case models.RuleAllow:
			r = r.WithAllowed(row.Value)
		case models.RuleClient:
			r.clients = append(r.clients[:len(r.clients):len(r.clients)], timedValue{strings.TrimSpace(row.Value), until})
		case models.RuleAddress:
			r.addrs = append(r.addrs[:len(r.addrs):len(r.addrs)], timedValue{strings.TrimSpace(row.Value), until})
		}
	}
	return r
}

// WithSettings returns r with the event's settings and its sources'
// filters (by source id).
func (r Rules) WithSettings(s Settings, sources map[int64]Filter) Rules {
	r.set, r.sources = s, sources
	return r
}

// ForSource returns r judging items of one source: its own filter applies
// on top of the event's.
func (r Rules) ForSource(id int64) Rules {
	r.source = r.sources[id]
	return r
}

// withPosters returns r able to read sealed room posters (Item.Poster).
func (r Rules) withPosters(open func(string) (SealedPoster, bool)) Rules {
	r.open = open
	return r
}

// WithAuthor returns r blocking one more author: a handle (with or without
// the leading @; one without a domain blocks that name on every instance) or
// a display name.
func (r Rules) WithAuthor(v string) Rules { return r.withAuthor(v, time.Time{}) }

func (r Rules) withAuthor(v string, until time.Time) Rules {
	v = fold(strings.TrimSpace(v))
	if v == "" {
		return r
	}
	h := strings.TrimPrefix(v, "@")
	r.authors = append(r.authors[:len(r.authors):len(r.authors)],
		authorRule{handle: h, name: v, local: !strings.Contains(h, "@"), expires: until})
	return r
}

// WithWord returns r blocking one more word or phrase, matched as whole
// words, whatever their case.
func (r Rules) WithWord(w string) Rules { return r.withWord(w, time.Time{}) }

func (r Rules) withWord(w string, until time.Time) Rules {
	w = fold(strings.TrimSpace(w))
	if w == "" {
		return r
	}
	r.words = append(r.words[:len(r.words):len(r.words)], wordRule{word: w, expires: until})
	return r
}

// WithAllowed returns r trusting one more account: a full handle
// (@user@instance, user.bsky.social). Only handles count, and only whole:
// a display name or a bare user name could be anyone's.
func (r Rules) WithAllowed(handle string) Rules {
	h := strings.TrimPrefix(fold(strings.TrimSpace(handle)), "@")
	if h == "" {
		return r
	}
	r.allowed = append(r.allowed[:len(r.allowed):len(r.allowed)], h)
	return r
}

// Empty reports whether no author, word or room poster is blocked.
func (r Rules) Empty() bool {
	return len(r.authors) == 0 && len(r.words) == 0 && len(r.clients) == 0 && len(r.addrs) == 0
}

func (r Rules) clock() time.Time {
	if r.now != nil {
		return r.now()
	}
	return time.Now()
}

// Blocks reports whether a rule blocks an item of this author and text.
func (r Rules) Blocks(a live.Author, text string) bool {
	return r.BlocksAuthor(a) || r.BlocksText(text)
}

// BlocksItem reports whether a ban hides it: its author, a word of its
// text, or (for a room post) the browser or address it was sent from.
func (r Rules) BlocksItem(it live.Item) bool {
	if r.Blocks(it.Author, it.Text) {
		return true
	}
	if it.Poster == "" || r.open == nil || len(r.clients)+len(r.addrs) == 0 {
		return false
	}
	p, ok := r.open(it.Poster)
	return ok && r.bansPoster(p.ClientHash, p.Address)
}

// BansPoster reports whether a ban of a browser (by the client id the
// server issued it) or of an address refuses a room poster now.
func (r Rules) BansPoster(p live.Poster) bool {
	return r.bansPoster(ClientHash(p.Client), p.Address)
}

func (r Rules) bansPoster(clientHash, addr string) bool {
	now := r.clock()
	for _, c := range r.clients {
		if clientHash != "" && c.value == clientHash && active(c.expires, now) {
			return true
		}
	}
	for _, a := range r.addrs {
		if addr != "" && a.value == addr && active(a.expires, now) {
			return true
		}
	}
	return false
}

// Apply marks it Hidden when a ban or an ingest filter drops it, and Held
// when the event holds it for a moderator (see Rules). It never clears
// either flag.
func (r Rules) Apply(it *live.Item) {
	if r.BlocksItem(*it) || r.set.Filter.Drops(*it) || r.source.Drops(*it) {
		it.Hidden = true
	}
	if it.Held || r.Allowed(it.Author) {
		return
	}
	if r.HoldAll || r.set.HoldSensitive && it.NeedsCare() ||
		r.set.Blocklist != nil && (r.set.Blocklist.Matches(it.Text) || r.set.Blocklist.Matches(it.ContentWarning)) {
		it.Held = true
	}
}

// Allowed reports whether the author's handle is on the allow list.
func (r Rules) Allowed(a live.Author) bool {
	if len(r.allowed) == 0 || a.Handle == "" {
		return false
	}
	h := strings.TrimPrefix(fold(strings.TrimSpace(a.Handle)), "@")
	for _, x := range r.allowed {
		if x == h {
			return true
		}
	}
	return false
}

// BlocksAuthor reports whether an author rule matches a's handle or name.
func (r Rules) BlocksAuthor(a live.Author) bool {
	if len(r.authors) == 0 {
		return false
	}
	now := r.clock()
	handle := strings.TrimPrefix(fold(strings.TrimSpace(a.Handle)), "@")
	name := fold(strings.TrimSpace(a.Name))
	for _, b := range r.authors {
		if !active(b.expires, now) {
			continue
		}
		if handle != "" && b.handle == handle || name != "" && b.name == name {
			return true
		}
		// "@ada" blocks the local part of "@ada@example.social".
		if b.local && handle != "" {
			if local, _, ok := strings.Cut(handle, "@"); ok && local == b.handle {
				return true
			}
		}
	}
	return false
}

// BlocksText reports whether a word rule matches whole words of text.
func (r Rules) BlocksText(text string) bool {
	if len(r.words) == 0 || text == "" {
		return false
	}
	now := r.clock()
	folded := fold(text)
	for _, w := range r.words {
		if active(w.expires, now) && containsWord(folded, w.word) {
			return true
		}
	}
	return false
}

// fold makes two strings that read the same compare equal: compatibility
// forms (full-width letters, ligatures) and case are folded away.
func fold(s string) string {
	if isPlainLower(s) {
		return s
	}
	return norm.NFKC.String(cases.Fold().String(norm.NFKC.String(s)))
}

// isPlainLower reports whether s is ASCII without upper-case letters, which
// folding leaves as it is (the common case, kept off the slow path).
func isPlainLower(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// containsWord reports whether w occurs in s with no word character right
// before or after it: "class" does not contain the word "ass".
func containsWord(s, w string) bool {
	for from := 0; from <= len(s)-len(w); {
		i := strings.Index(s[from:], w)
		if i < 0 {
			return false
		}
		i += from
		end := i + len(w)
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[end:])
		if (i == 0 || !isWordRune(before)) && (end == len(s) || !isWordRune(after)) {
			return true
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		from = i + size
	}
	return false
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '_'
}

// isWord reports whether w is made of word runes only: it then occurs as a
// whole word exactly when it equals one of the text's maximal runs of word
// runes, which a set lookup answers (see Blocklist).
func isWord(w string) bool {
	if w == "" {
		return false
	}
	for _, c := range w {
		if !isWordRune(c) {
			return false
		}
	}
	return true
}

// eachWord calls f with every maximal run of word runes of s (folded
// text), in order, until f returns true.
func eachWord(s string, f func(string) bool) bool {
	start := -1
	for i, c := range s {
		if isWordRune(c) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			if f(s[start:i]) {
				return true
			}
			start = -1
		}
	}
	return start >= 0 && f(s[start:])
}
