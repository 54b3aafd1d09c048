package sources

import (
	"bytes"
	"html"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"

	"github.com/backchannel/backchannel/live"
)

// sanitizer is built once; a bluemonday policy is safe for concurrent use
// and never changes after construction.
var sanitizer = sync.OnceValue(remotePolicy)

// maxTextRunes caps the plain text of one item, so a hostile source cannot
// push megabytes through the live log.
const maxTextRunes = 5000

// ItemID returns the dedupe key of an item: "<kind>:<external id>".
func ItemID(kind, externalID string) string { return kind + ":" + externalID }

// NormalizeText cleans plain text from a source: valid UTF-8, no control
// characters but newlines and tabs, "\r\n" folded, outer space trimmed and
// capped at maxTextRunes.
func NormalizeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s))
	n := 0
	for _, r := range s {
		if r == '\r' {
			r = '\n'
		}
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			continue
		}
		if n >= maxTextRunes {
			b.WriteRune('…')
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

// SanitizeHTML passes remote HTML through the remote-content policy and gives
// every surviving link rel="nofollow noopener" and target="_blank".
func SanitizeHTML(raw string) string {
	clean := sanitizer().Sanitize(strings.ToValidUTF8(raw, "\uFFFD"))
	if !strings.Contains(clean, "<a ") {
		return strings.TrimSpace(clean)
	}
	return strings.TrimSpace(fixLinks(clean))
}

// fixLinks rewrites the attributes of <a> tags the sanitizer kept: href as
// is, then the fixed rel and target (bluemonday adds target only to fully
// qualified http links, not to mailto).
func fixLinks(s string) string {
	var out bytes.Buffer
	z := xhtml.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			return out.String()
		}
		tok := z.Token()
		if (tt == xhtml.StartTagToken || tt == xhtml.SelfClosingTagToken) && tok.Data == "a" {
			attrs := []xhtml.Attribute{}
			for _, a := range tok.Attr {
				if a.Key == "href" {
					attrs = append(attrs, a)
				}
			}
			attrs = append(attrs,
				xhtml.Attribute{Key: "rel", Val: "nofollow noopener"},
				xhtml.Attribute{Key: "target", Val: "_blank"})
			tok.Attr = attrs
		}
		out.WriteString(tok.String())
	}
}

// HTMLToText renders HTML as plain text: tags dropped, entities decoded,
// block elements and <br> as line breaks.
func HTMLToText(s string) string {
	var b strings.Builder
	z := xhtml.NewTokenizer(strings.NewReader(s))
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case xhtml.ErrorToken:
			return NormalizeText(collapseBlankLines(b.String()))
		case xhtml.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken, xhtml.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				if tt == xhtml.StartTagToken {
					skip++
				} else if tt == xhtml.EndTagToken && skip > 0 {
					skip--
				}
			case "br":
				b.WriteByte('\n')
			case "p", "div", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6":
				b.WriteString("\n\n")
			case "li":
				if tt == xhtml.StartTagToken {
					b.WriteString("\n")
				}
			}
		}
	}
}

func collapseBlankLines(s string) string {
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := 0
	for _, l := range lines {
		l = strings.TrimRightFunc(l, unicode.IsSpace)
		if strings.TrimSpace(l) == "" {
			blank++
			if blank > 1 {
				continue
			}
			out = append(out, "")
			continue
		}
		blank = 0
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// TextToHTML renders plain text as safe HTML: escaped, line breaks as <br>.
func TextToHTML(s string) string {
	if s == "" {
		return ""
	}
	return "<p>" + strings.ReplaceAll(html.EscapeString(s), "\n", "<br>") + "</p>"
}

// SafeURL returns u if it is an absolute http or https URL with a host, and
// "" otherwise (javascript:, data:, relative paths, garbage).
func SafeURL(u string) string {
	u = strings.TrimSpace(u)
	if u == "" || len(u) > 2048 || !utf8.ValidString(u) {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return ""
	}
	switch strings.ToLower(p.Scheme) {
	case "http", "https":
		return p.String()
	}
	return ""
}

// NormalizeMedia keeps only media whose URL is http(s); a non-http(s) thumb
// is dropped but keeps its media.
func NormalizeMedia(in []live.Media) []live.Media {
	out := make([]live.Media, 0, len(in))
	for _, m := range in {
		m.URL = SafeURL(m.URL)
		if m.URL == "" {
			continue
		}
		m.ThumbURL = SafeURL(m.ThumbURL)
		m.Alt = NormalizeText(m.Alt)
		if m.Type == "" {
			m.Type = "image"
		}
		out = append(out, m)
	}
	return out
}

// Finish makes an item ready to append: text and URLs cleaned, media filtered,
// CreatedAt in UTC (now when the source gave none), ReceivedAt now, kind post
// by default. HTML must already be sanitized (it is produced by SanitizeHTML
// or TextToHTML); when empty it is rendered from the text.
func Finish(it *live.Item, now time.Time) {
	it.Text = NormalizeText(it.Text)
	if it.HTML == "" {
		it.HTML = TextToHTML(it.Text)
	}
	if it.Kind == "" {
		it.Kind = live.KindPost
	}
	it.URL = SafeURL(it.URL)
	it.Author.Name = NormalizeText(it.Author.Name)
	it.Author.Handle = NormalizeText(it.Author.Handle)
	if it.Author.Name == "" {
		it.Author.Name = it.Author.Handle
	}
	it.Author.URL = SafeURL(it.Author.URL)
	it.Author.AvatarURL = SafeURL(it.Author.AvatarURL)
	it.Media = NormalizeMedia(it.Media)
	it.ContentWarning = NormalizeText(it.ContentWarning)
	it.Language = normalizeLanguage(it.Language)
	it.Labels = normalizeLabels(it.Labels)
	if it.CreatedAt.IsZero() {
		it.CreatedAt = now
	}
	it.CreatedAt = it.CreatedAt.UTC()
	it.ReceivedAt = now.UTC()
}

// NormalizePlain builds a finished item from plain text.
func NormalizePlain(kind, externalID string, author live.Author, text, origin string, createdAt, now time.Time) live.Item {
	it := live.Item{ID: ItemID(kind, externalID), Source: kind, Author: author, Text: text, URL: origin, CreatedAt: createdAt}
	Finish(&it, now)
	return it
}

// NormalizeHTML builds a finished item from remote HTML: the HTML sanitized,
// the text derived from it.
func NormalizeHTML(kind, externalID string, author live.Author, rawHTML, origin string, createdAt, now time.Time) live.Item {
	clean := SanitizeHTML(rawHTML)
	it := live.Item{ID: ItemID(kind, externalID), Source: kind, Author: author, Text: HTMLToText(clean), HTML: clean, URL: origin, CreatedAt: createdAt}
	Finish(&it, now)
	return it
}

// normalizeLanguage keeps a language tag's primary subtag, lower-case, when
// it looks like one ("en-US" → "en"); anything else is "" (unknown).
func normalizeLanguage(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if len(tag) < 2 || len(tag) > 3 {
		return ""
	}
	for i := 0; i < len(tag); i++ {
		if c := tag[i] | 0x20; c < 'a' || c > 'z' {
			return ""
		}
	}
	return strings.ToLower(tag)
}

// maxLabels bounds an item's labels; a label is at most 64 bytes.
const maxLabels = 10

// normalizeLabels keeps up to maxLabels short, printable labels, once each.
func normalizeLabels(in []string) []string {
	var out []string
	for _, l := range in {
		l = strings.TrimSpace(NormalizeText(l))
		if l == "" || len(l) > 64 || slices.Contains(out, l) {
			continue
		}
		if out = append(out, l); len(out) == maxLabels {
			break
		}
	}
	return out
}
