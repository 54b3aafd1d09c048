package archive

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/views"
	av "github.com/backchannel/backchannel/views/archive"
)

// sessionStats is what a session page shows beside the conversation.
type sessionStats struct {
	total   int64
	photos  []views.PhotoVM
	links   []av.LinkCount
	posters []av.PosterCount
	// perStep counts items per bucket of step from the session's start.
	perStep []int64
	step    time.Duration
}

const (
	maxPhotos  = 24
	maxTop     = 10
	chartBars  = 120
	sparkBars  = 12
	eventBars  = 96
	searchPage = 30
)

// statsOf computes a session's photos, top links, top posters and
// activity (buckets of a nice width, at most chartBars of them).
func (h *Handler) statsOf(ctx context.Context, eventID, sessionID int64, start, end time.Time) (*sessionStats, error) {
	st := &sessionStats{step: stepFor(end.Sub(start), chartBars)}
	n := int((end.Sub(start) + st.step - 1) / st.step)
	st.perStep = make([]int64, max(n, 1))
	linkCount := map[string]int{}
	type poster struct {
		av.PosterCount
		first int
	}
	posters := map[string]*poster{}
	err := h.store.EachSessionStatRow(ctx, eventID, sessionID, func(r *store.StatRow) {
		name, handle, authorURL, body, own, media, created := r.AuthorName, r.AuthorHandle, r.AuthorURL, r.LinkHTML, r.URL, r.Media, r.CreatedAt
		st.total++
		if b := int(created.Sub(start) / st.step); b >= 0 && b < len(st.perStep) {
			st.perStep[b]++
		}
		for _, l := range linksIn(body, own) {
			linkCount[l]++
		}
		display := strings.TrimSpace(name)
		if display == "" {
			display = strings.TrimSpace(handle)
		}
		if display == "" {
			display = "Anonymous"
		}
		key := strings.ToLower(strings.TrimSpace(handle))
		if key == "" {
			key = "name:" + strings.ToLower(display)
		}
		p := posters[key]
		if p == nil {
			p = &poster{PosterCount: av.PosterCount{Name: display, Handle: handle, URL: views.SafeHTTPURL(authorURL)}, first: len(posters)}
			posters[key] = p
		}
		p.Count++
		if len(st.photos) < maxPhotos && len(media) > 2 {
			var ms []live.Media
			if json.Unmarshal(media, &ms) == nil {
				for _, m := range ms {
					if m.Type != "" && m.Type != "image" && m.Type != "photo" {
						continue
					}
					full, thumb := views.SafeHTTPURL(m.URL), views.SafeHTTPURL(m.ThumbURL)
					if full == "" {
						full = thumb
					}
					if thumb == "" {
						thumb = full
					}
					if full != "" && len(st.photos) < maxPhotos {
						st.photos = append(st.photos, views.PhotoVM{URL: full, ThumbURL: thumb, Alt: m.Alt})
					}
				}
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	for u, n := range linkCount {
		host := u
		if pu, err := url.Parse(u); err == nil {
			host = pu.Host
		}
		st.links = append(st.links, av.LinkCount{URL: u, Host: host, Count: n})
	}
	slices.SortFunc(st.links, func(a, b av.LinkCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.URL, b.URL)
	})
	st.links = st.links[:min(len(st.links), maxTop)]
	ps := make([]*poster, 0, len(posters))
	for _, p := range posters {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b *poster) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return a.first - b.first
	})
	for _, p := range ps[:min(len(ps), maxTop)] {
		st.posters = append(st.posters, p.PosterCount)
	}
	return st, nil
}

// linksIn returns the distinct http(s) links an item's HTML shares, leaving
// out mentions, hashtags and the item's own permalink. It scans the markup
// by hand: it runs over every item of a session on each cache miss.
func linksIn(body, own string) []string {
	var out []string
	rest := body
	for {
		i := indexFold(rest, "<a")
		if i < 0 {
			return out
		}
		rest = rest[i+2:]
		if rest == "" || !isSpace(rest[0]) {
			continue
		}
		end := strings.IndexByte(rest, '>')
		if end < 0 {
			return out
		}
		attrs := rest[:end]
		rest = rest[end+1:]
		text := rest
		if close := indexFold(rest, "</a>"); close >= 0 {
			text = rest[:close]
		}
		text = strings.TrimSpace(html.UnescapeString(stripTags(text)))
		la := strings.ToLower(attrs)
		if strings.Contains(la, "mention") || strings.Contains(la, "hashtag") || strings.Contains(la, `rel="tag"`) ||
			strings.HasPrefix(text, "#") || strings.HasPrefix(text, "@") {
			continue
		}
		href := views.SafeHTTPURL(html.UnescapeString(attrValue(attrs, la, "href")))
		if href == "" || href == own {
			continue
		}
		if i := strings.IndexByte(href, '#'); i >= 0 {
			href = href[:i]
		}
		if !slices.Contains(out, href) {
			out = append(out, href)
		}
	}
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' }

// indexFold is strings.Index for an ASCII lower-case needle, ignoring case.
func indexFold(s, needle string) int {
	for i := 0; i+len(needle) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(needle)], needle) {
			return i
		}
	}
	return -1
}

// attrValue returns the value of attribute name in attrs (lower is attrs
// lower-cased, for the search), quoted or not.
func attrValue(attrs, lower, name string) string {
	for from := 0; ; {
		i := strings.Index(lower[from:], name)
		if i < 0 {
			return ""
		}
		i += from
		from = i + len(name)
		if i > 0 && !isSpace(lower[i-1]) {
			continue
		}
		j := from
		for j < len(attrs) && isSpace(attrs[j]) {
			j++
		}
		if j >= len(attrs) || attrs[j] != '=' {
			continue
		}
		j++
		for j < len(attrs) && isSpace(attrs[j]) {
			j++
		}
		if j >= len(attrs) {
			return ""
		}
		if q := attrs[j]; q == '"' || q == '\'' {
			if k := strings.IndexByte(attrs[j+1:], q); k >= 0 {
				return attrs[j+1 : j+1+k]
			}
			return attrs[j+1:]
		}
		k := j
		for k < len(attrs) && !isSpace(attrs[k]) {
			k++
		}
		return attrs[j:k]
	}
}

// stripTags drops everything between < and >.
func stripTags(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	var b strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '<':
			in = true
		case c == '>':
			in = false
		case !in:
			b.WriteByte(c)
		}
	}
	return b.String()
}
