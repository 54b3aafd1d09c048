package moderation

import (
	"strings"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// Filter drops items at ingest by what their source says of them: replies,
// reposts (boosts, retweets), posts of accounts marked as bots, posts
// marked sensitive (or with a content warning or a sensitive label), and
// posts in other languages than Languages. Dropped items are kept hidden,
// so moderators and the audit of a source can still find them.
type Filter struct {
	Replies, Reposts, Bots, Sensitive bool
	// Languages are ISO 639-1 codes ("en", "de"); empty keeps every
	// language. An item whose language its source does not tell is kept:
	// attendees' posts and most feeds say none.
	Languages []string
}

// FilterOf reads a filter as the events and sources tables keep it.
func FilterOf(f models.IngestFilter) Filter {
	return Filter{Replies: f.FilterReplies, Reposts: f.FilterReposts, Bots: f.FilterBots, Sensitive: f.FilterSensitive,
		Languages: ParseLanguages(f.FilterLanguages)}
}

// ParseLanguages reads a comma- or space-separated list of language codes
// ("en, de-AT") into primary subtags, lower-case, without repeats.
func ParseLanguages(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' || r == '\n' }) {
		code := primaryLanguage(f)
		if code == "" {
			continue
		}
		dup := false
		for _, x := range out {
			dup = dup || x == code
		}
		if !dup {
			out = append(out, code)
		}
	}
	return out
}

// primaryLanguage is a language tag's primary subtag, lower-case: "en-US"
// and "EN" are "en".
func primaryLanguage(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	return strings.ToLower(tag)
}

// Empty reports whether f drops nothing.
func (f Filter) Empty() bool {
	return !f.Replies && !f.Reposts && !f.Bots && !f.Sensitive && len(f.Languages) == 0
}

// Drops reports whether f drops it.
func (f Filter) Drops(it live.Item) bool {
	switch {
	case f.Replies && it.Reply, f.Reposts && it.Repost, f.Bots && it.Bot, f.Sensitive && it.NeedsCare():
		return true
	}
	if len(f.Languages) == 0 || it.Language == "" {
		return false
	}
	lang := primaryLanguage(it.Language)
	for _, l := range f.Languages {
		if l == lang {
			return false
		}
	}
	return true
}
