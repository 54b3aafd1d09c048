package moderation

import (
	"strings"
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
type Rules struct {
	authors []authorRule
	words   []string // folded
	// HoldAll holds every item for approval (event moderation "before").
	HoldAll bool
}

type authorRule struct {
	handle string // folded, without the leading @
	name   string // folded
	local  bool   // the rule has no domain: it matches the local part of any handle
}

// Compile builds the matcher of an event's rule rows. holdAll is the event's
// moderation "before".
func Compile(rows []models.ModerationRule, holdAll bool) Rules {
	r := Rules{HoldAll: holdAll}
	for _, row := range rows {
		switch row.Kind {
		case models.RuleAuthor:
			r = r.WithAuthor(row.Value)
		case models.RuleWord:
			r = r.WithWord(row.Value)
		}
	}
	return r
}

// WithAuthor returns r blocking one more author: a handle (with or without
// the leading @; one without a domain blocks that name on every instance) or
// a display name.
func (r Rules) WithAuthor(v string) Rules {
	v = fold(strings.TrimSpace(v))
	if v == "" {
		return r
	}
	h := strings.TrimPrefix(v, "@")
	r.authors = append(r.authors[:len(r.authors):len(r.authors)],
		authorRule{handle: h, name: v, local: !strings.Contains(h, "@")})
	return r
}

// WithWord returns r blocking one more word or phrase, matched as whole
// words, whatever their case.
func (r Rules) WithWord(w string) Rules {
	w = fold(strings.TrimSpace(w))
	if w == "" {
		return r
	}
	r.words = append(r.words[:len(r.words):len(r.words)], w)
	return r
}

// Empty reports whether no author or word is blocked.
func (r Rules) Empty() bool { return len(r.authors) == 0 && len(r.words) == 0 }

// Blocks reports whether a rule blocks an item of this author and text.
func (r Rules) Blocks(a live.Author, text string) bool {
	return r.BlocksAuthor(a) || r.BlocksText(text)
}

// Apply marks it Hidden when a rule blocks it and Held when the event holds
// every item for approval. It never clears either flag.
func (r Rules) Apply(it *live.Item) {
	if r.HoldAll {
		it.Held = true
	}
	if r.Blocks(it.Author, it.Text) {
		it.Hidden = true
	}
}

// BlocksAuthor reports whether an author rule matches a's handle or name.
func (r Rules) BlocksAuthor(a live.Author) bool {
	if len(r.authors) == 0 {
		return false
	}
	handle := strings.TrimPrefix(fold(strings.TrimSpace(a.Handle)), "@")
	name := fold(strings.TrimSpace(a.Name))
	for _, b := range r.authors {
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
	folded := fold(text)
	for _, w := range r.words {
		if containsWord(folded, w) {
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
