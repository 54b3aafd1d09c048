// Package linkcard fetches the preview of a post's first link (title,
// description, image, site name from the page's Open Graph and Twitter
// meta tags, else its <title>) through the one outbound client, and caches
// it in Redis, so a wall never asks a third-party site itself and a link
// shared a thousand times is fetched once a day.
//
// It imports only live (the Card noun) and outbound; it never appends to
// the live log itself (the wiring does, as an update of the item).
package linkcard

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/rueidis"
	"golang.org/x/net/html"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/outbound"
)

const (
	// MaxPage bounds the bytes read of a page: the head is at its start.
	MaxPage = 512 << 10
	// CacheFor is how long a card is kept; MissFor how long "this link has
	// none" (or could not be fetched) is.
	CacheFor = 24 * time.Hour
	MissFor  = time.Hour
	// maxText bounds a card's title and description, in characters.
	maxTitle, maxDescription = 200, 400
)

// Fetcher fetches and caches cards.
type Fetcher struct {
	client    *http.Client
	redis     rueidis.Client
	namespace string
}

// New returns a Fetcher over client (outbound.NewClient's) and Redis (nil:
// no cache).
func New(client *http.Client, r rueidis.Client, namespace string) *Fetcher {
	return &Fetcher{client: client, redis: r, namespace: namespace}
}

var linkRe = regexp.MustCompile(`https?://[^\s<>"']+`)

// FirstLink returns the first http(s) link of text ("" when none), without
// trailing punctuation.
func FirstLink(text string) string {
	l := linkRe.FindString(text)
	return strings.TrimRight(l, ".,;:!?)]}")
}

// Card returns the card of the page at link (nil when it has none), from
// the cache when it holds one.
func (f *Fetcher) Card(ctx context.Context, link string) (*live.Card, error) {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("linkcard: %q is not an http(s) link", link)
	}
	sum := sha256.Sum256([]byte(u.String()))
	key := f.namespace + "linkcard:" + hex.EncodeToString(sum[:16])
	if f.redis != nil {
		if b, err := f.redis.Do(ctx, f.redis.B().Get().Key(key).Build()).AsBytes(); err == nil {
			if len(b) == 0 {
				return nil, nil
			}
			var c live.Card
			if json.Unmarshal(b, &c) == nil {
				return &c, nil
			}
		}
	}
	card, ferr := f.fetch(ctx, u)
	if f.redis != nil {
		val, ttl := []byte{}, MissFor
		if card != nil {
			val, _ = json.Marshal(card)
			ttl = CacheFor
		}
		_ = f.redis.Do(ctx, f.redis.B().Set().Key(key).Value(rueidis.BinaryString(val)).Ex(ttl).Build()).Error()
	}
	return card, ferr
}

func (f *Fetcher) fetch(ctx context.Context, u *url.URL) (*live.Card, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("linkcard: %w", err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	req.Header.Set("User-Agent", "Backchannel link preview")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("linkcard: fetch %s: %w", u.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("linkcard: fetch %s: status %d", u.Host, resp.StatusCode)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/html" && mt != "application/xhtml+xml" {
		return nil, nil // an image or a file: no card
	}
	body, err := outbound.ReadAll(resp.Body, MaxPage)
	if err != nil && !errors.Is(err, outbound.ErrTooLarge) {
		return nil, fmt.Errorf("linkcard: read %s: %w", u.Host, err)
	}
	return Parse(body, resp.Request.URL), nil
}

// Parse reads a card from an HTML page fetched from base: og: tags first,
// then twitter: tags, then <title> and the description meta tag. It
// returns nil for a page without a title. Texts are plain and bounded;
// URLs are absolute http(s) or dropped.
func Parse(page []byte, base *url.URL) *live.Card {
	meta := map[string]string{}
	var title string
	z := html.NewTokenizer(bytes.NewReader(page))
	inTitle := false
loop:
	for {
		switch z.Next() {
		case html.ErrorToken:
			break loop
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			switch t.Data {
			case "meta":
				var k, v string
				for _, a := range t.Attr {
					switch strings.ToLower(a.Key) {
					case "property", "name":
						k = strings.ToLower(strings.TrimSpace(a.Val))
					case "content":
						v = a.Val
					}
				}
				if k != "" && meta[k] == "" {
					meta[k] = v
				}
			case "title":
				inTitle = title == ""
			case "body":
				break loop // the head is over
			}
		case html.TextToken:
			if inTitle {
				title += string(z.Text())
			}
		case html.EndTagToken:
			if t := z.Token(); t.Data == "title" {
				inTitle = false
			} else if t.Data == "head" {
				break loop
			}
		}
	}
	first := func(keys ...string) string {
		for _, k := range keys {
			if v := strings.TrimSpace(meta[k]); v != "" {
				return v
			}
		}
		return ""
	}
	c := &live.Card{
		URL:         absolute(base, first("og:url")),
		Title:       plain(first("og:title", "twitter:title"), maxTitle),
		Description: plain(first("og:description", "twitter:description", "description"), maxDescription),
		ImageURL:    absolute(base, first("og:image:secure_url", "og:image", "twitter:image", "twitter:image:src")),
		SiteName:    plain(first("og:site_name"), maxTitle),
	}
	if c.Title == "" {
		c.Title = plain(title, maxTitle)
	}
	if c.Title == "" {
		return nil
	}
	if c.URL == "" && base != nil {
		c.URL = base.String()
	}
	return c
}

// absolute resolves ref against base, keeping only http(s) URLs.
func absolute(base *url.URL, ref string) string {
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

// plain collapses whitespace, drops invalid UTF-8 and control characters,
// and bounds s to max characters.
func plain(s string, max int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r < ' ' || r == ' ' || r == 0x7f }), " ")
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max-1]) + "…"
	}
	return s
}
