package sources

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/backchannel/backchannel/live"
)

// maxFeedTextRunes caps the excerpt of an entry's body kept in its text.
const maxFeedTextRunes = 500

// ParseFeed parses an Atom, RSS or JSON feed into items, oldest first. The ID
// of an entry is "feed:<guid>" (its link when it has no guid); an entry's
// title leads its text and HTML, its body is sanitized; image enclosures
// become media; an entry without its own author inherits the feed's.
func ParseFeed(data []byte, now time.Time) ([]live.Item, error) {
	f, err := gofeed.NewParser().Parse(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("sources: feed: %w", err)
	}
	var feedAuthor live.Author
	if len(f.Authors) > 0 && f.Authors[0] != nil {
		feedAuthor.Name = f.Authors[0].Name
	}
	if feedAuthor.Name == "" {
		feedAuthor.Name = f.Title
	}
	feedAuthor.URL = f.Link
	items := make([]live.Item, 0, len(f.Items))
	for i := len(f.Items) - 1; i >= 0; i-- {
		e := f.Items[i]
		if e == nil {
			continue
		}
		key := strings.TrimSpace(e.GUID)
		if key == "" {
			key = strings.TrimSpace(e.Link)
		}
		if key == "" {
			continue
		}
		author := feedAuthor
		if len(e.Authors) > 0 && e.Authors[0] != nil && e.Authors[0].Name != "" {
			author = live.Author{Name: e.Authors[0].Name}
		}
		body := e.Content
		if strings.TrimSpace(body) == "" {
			body = e.Description
		}
		title := HTMLToText(e.Title)
		bodyHTML := SanitizeHTML(body)
		text := title
		if excerpt := HTMLToText(bodyHTML); excerpt != "" {
			if r := []rune(excerpt); len(r) > maxFeedTextRunes {
				excerpt = string(r[:maxFeedTextRunes]) + "…"
			}
			if text != "" {
				text += "\n\n"
			}
			text += excerpt
		}
		htm := bodyHTML
		if title != "" {
			htm = "<p><strong>" + escapeLines(title) + "</strong></p>" + bodyHTML
		}
		var created time.Time
		switch {
		case e.PublishedParsed != nil:
			created = *e.PublishedParsed
		case e.UpdatedParsed != nil:
			created = *e.UpdatedParsed
		}
		it := live.Item{ID: ItemID("feed", key), Source: "feed", Author: author, Text: text, HTML: htm, URL: e.Link, CreatedAt: created}
		for _, enc := range e.Enclosures {
			if enc != nil && strings.HasPrefix(enc.Type, "image/") {
				it.Media = append(it.Media, live.Media{Type: "image", URL: enc.URL, Alt: title})
			}
		}
		if len(it.Media) == 0 && e.Image != nil {
			it.Media = append(it.Media, live.Media{Type: "image", URL: e.Image.URL, Alt: title})
		}
		Finish(&it, now)
		items = append(items, it)
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].CreatedAt.Before(items[j].CreatedAt) })
	return items, nil
}
