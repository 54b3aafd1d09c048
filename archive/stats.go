package archive

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/backchannel/backchannel/realtime"
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

var (
	anchorRE = regexp.MustCompile(`(?is)<a\s([^>]*)>(.*?)</a>`)
	hrefRE   = regexp.MustCompile(`(?is)\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')`)
	tagRE    = regexp.MustCompile(`(?s)<[^>]*>`)
)

// SessionStats computes a session's photos, top links, top posters and
// activity (buckets of a nice width, at most chartBars of them).
func (s *Store) SessionStats(ctx context.Context, eventID, sessionID int64, start, end time.Time) (*sessionStats, error) {
	db, err := s.sql()
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT author_name, author_handle, author_url, html, url, media, created_at
		FROM items WHERE event_id = $1 AND session_id = $2 AND `+visibleSQL+` ORDER BY seq`, eventID, sessionID)
	if err != nil {
		return nil, fmt.Errorf("archive: session %d stats: %w", sessionID, err)
	}
	defer rows.Close()
	st := &sessionStats{step: stepFor(end.Sub(start), chartBars)}
	n := int((end.Sub(start) + st.step - 1) / st.step)
	st.perStep = make([]int64, max(n, 1))
	linkCount := map[string]int{}
	type poster struct {
		av.PosterCount
		first int
	}
	posters := map[string]*poster{}
	for rows.Next() {
		var name, handle, authorURL, body, own string
		var media []byte
		var created time.Time
		if err := rows.Scan(&name, &handle, &authorURL, &body, &own, &media, &created); err != nil {
			return nil, fmt.Errorf("archive: session %d stats: %w", sessionID, err)
		}
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
			var ms []realtime.Media
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
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("archive: session %d stats: %w", sessionID, err)
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
// out mentions, hashtags and the item's own permalink.
func linksIn(body, own string) []string {
	if !strings.Contains(body, "<a") && !strings.Contains(body, "<A") {
		return nil
	}
	var out []string
	for _, m := range anchorRE.FindAllStringSubmatch(body, -1) {
		attrs, text := m[1], strings.TrimSpace(html.UnescapeString(tagRE.ReplaceAllString(m[2], "")))
		la := strings.ToLower(attrs)
		if strings.Contains(la, "mention") || strings.Contains(la, "hashtag") || strings.Contains(la, `rel="tag"`) ||
			strings.HasPrefix(text, "#") || strings.HasPrefix(text, "@") {
			continue
		}
		hm := hrefRE.FindStringSubmatch(attrs)
		if hm == nil {
			continue
		}
		href := views.SafeHTTPURL(html.UnescapeString(hm[1] + hm[2]))
		if href == "" || href == own {
			continue
		}
		if u, err := url.Parse(href); err == nil {
			u.Fragment = ""
			href = u.String()
		}
		if !slices.Contains(out, href) {
			out = append(out, href)
		}
	}
	return out
}
