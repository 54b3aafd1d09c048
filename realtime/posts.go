package realtime

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/backchannel/backchannel/live"
)

// Limits of an attendee's post, in characters (runes) after trimming.
const (
	MaxPostName = 40
	MaxPostText = 500
	// maxIdempotencyKey bounds the Idempotency-Key header / client_post_id.
	maxIdempotencyKey = 128
)

// PostError names the field of an attendee's post that is wrong.
type PostError struct {
	Field   string
	Message string
}

func (e *PostError) Error() string { return e.Message }

// ValidatePost trims name and text and checks them: valid UTF-8, no control
// characters (text may hold newlines and tabs), name 1–40 and text 1–500
// characters. It returns the cleaned values or a *PostError naming the field.
func ValidatePost(name, text string) (string, string, error) {
	if !utf8.ValidString(name) {
		return "", "", &PostError{"name", "The name is not valid UTF-8."}
	}
	if !utf8.ValidString(text) {
		return "", "", &PostError{"text", "The text is not valid UTF-8."}
	}
	name = strings.TrimSpace(name)
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	if n := utf8.RuneCountInString(name); n < 1 || n > MaxPostName {
		return "", "", &PostError{"name", fmt.Sprintf("The name must be 1 to %d characters.", MaxPostName)}
	}
	if n := utf8.RuneCountInString(text); n < 1 || n > MaxPostText {
		return "", "", &PostError{"text", fmt.Sprintf("The text must be 1 to %d characters.", MaxPostText)}
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return "", "", &PostError{"name", "The name must not contain control characters."}
		}
	}
	for _, r := range text {
		if (unicode.IsControl(r) && r != '\n' && r != '\t') || r == utf8.RuneError {
			return "", "", &PostError{"text", "The text must not contain control characters."}
		}
	}
	return name, text, nil
}

// ValidIdempotencyKey reports whether k can serve as an Idempotency-Key:
// 1–128 printable ASCII characters.
func ValidIdempotencyKey(k string) bool {
	if k == "" || len(k) > maxIdempotencyKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// PostItemID is the dedupe id of an attendee's post. With an idempotency key
// it is derived from the client and the key, so a retried post collapses onto
// the first; without one it is random.
func PostItemID(clientID, idempotencyKey string) string {
	if idempotencyKey == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		return live.SourceRoom + ":" + hex.EncodeToString(b[:])
	}
	sum := sha256.Sum256([]byte(clientID + "\x00" + idempotencyKey))
	return live.SourceRoom + ":" + hex.EncodeToString(sum[:16])
}

// NewPostItem builds the item of a validated attendee's post.
func NewPostItem(id, name, text string, held bool, now time.Time) live.Item {
	return live.Item{
		ID:         id,
		Source:     live.SourceRoom,
		Kind:       live.KindPost,
		Author:     live.Author{Name: name},
		Text:       text,
		HTML:       PostHTML(text),
		Media:      []live.Media{},
		CreatedAt:  now.UTC(),
		ReceivedAt: now.UTC(),
		Held:       held,
	}
}

var linkPattern = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"']+`)

// PostHTML renders a post's plain text as HTML: everything escaped, http(s)
// URLs made into links with rel="nofollow noopener", newlines into <br>.
func PostHTML(text string) string {
	var b strings.Builder
	last := 0
	for _, m := range linkPattern.FindAllStringIndex(text, -1) {
		start, end := m[0], m[1]
		link := trimLinkTail(text[start:end])
		end = start + len(link)
		u, err := url.Parse(link)
		if err != nil || u.Host == "" {
			continue
		}
		b.WriteString(escapeLines(text[last:start]))
		esc := html.EscapeString(link)
		// The link's scheme in its canonical lowercase (RFC 3986, 3.1): a
		// post may write "HTTPS://"; the text keeps what was written.
		href := u.Scheme + html.EscapeString(link[len(u.Scheme):])
		b.WriteString(`<a href="` + href + `" rel="nofollow noopener">` + esc + `</a>`)
		last = end
	}
	b.WriteString(escapeLines(text[last:]))
	return b.String()
}

func escapeLines(s string) string {
	return strings.ReplaceAll(html.EscapeString(s), "\n", "<br>")
}

// trimLinkTail drops punctuation that ends a sentence rather than the URL,
// and a closing parenthesis that has no opening one inside the URL.
func trimLinkTail(s string) string {
	for len(s) > 0 {
		c := s[len(s)-1]
		switch {
		case strings.IndexByte(".,;:!?", c) >= 0:
			s = s[:len(s)-1]
		case c == ')' && strings.Count(s, "(") < strings.Count(s, ")"):
			s = s[:len(s)-1]
		default:
			return s
		}
	}
	return s
}
