package sources

import (
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/backchannel/backchannel/live"
)

// Jetstream operations a runner acts on.
const (
	JetstreamCreate = "create"
	JetstreamDelete = "delete"
)

// JetstreamEvent is one parsed Jetstream message. Op is "" for messages to
// ignore (identity, account, other collections, updates, posts that do not
// match): the runner still advances its cursor past them.
type JetstreamEvent struct {
	TimeUS int64
	Op     string
	// ID is the item ID "bluesky:at://<did>/app.bsky.feed.post/<rkey>".
	ID string
	// DID is the author's (commits only).
	DID  string
	Item live.Item
}

type jetstreamMessage struct {
	DID    string `json:"did"`
	TimeUS int64  `json:"time_us"`
	Kind   string `json:"kind"`
	Commit *struct {
		Operation  string          `json:"operation"`
		Collection string          `json:"collection"`
		RKey       string          `json:"rkey"`
		Record     json.RawMessage `json:"record"`
		CID        string          `json:"cid"`
	} `json:"commit"`
}

type bskyFacet struct {
	Index struct {
		ByteStart int `json:"byteStart"`
		ByteEnd   int `json:"byteEnd"`
	} `json:"index"`
	Features []struct {
		Type string `json:"$type"`
		Tag  string `json:"tag"`
		URI  string `json:"uri"`
		DID  string `json:"did"`
	} `json:"features"`
}

type bskyImage struct {
	Alt   string `json:"alt"`
	Image struct {
		Ref struct {
			Link string `json:"$link"`
		} `json:"ref"`
		// CID is the legacy blob shape.
		CID string `json:"cid"`
	} `json:"image"`
}

type bskyEmbed struct {
	Type   string      `json:"$type"`
	Images []bskyImage `json:"images"`
	Media  *bskyEmbed  `json:"media"`
}

type bskyPost struct {
	Text      string      `json:"text"`
	CreatedAt string      `json:"createdAt"`
	Facets    []bskyFacet `json:"facets"`
	Tags      []string    `json:"tags"`
	Embed     *bskyEmbed  `json:"embed"`
	// Langs are the post's languages (BCP-47), Reply its parent and root
	// when it answers a post, Labels the author's self-labels
	// (com.atproto.label.defs#selfLabels: "porn", "sexual", "nudity",
	// "graphic-media").
	Langs  []string        `json:"langs"`
	Reply  json.RawMessage `json:"reply"`
	Labels *struct {
		Values []struct {
			Val string `json:"val"`
		} `json:"values"`
	} `json:"labels"`
}

const bskyPostCollection = "app.bsky.feed.post"

// ParseJetstream parses one Jetstream JSON message. A create is kept only when
// one of keywords matches: a keyword matches a hashtag (facet or record.tags,
// with or without its "#") or appears in the text, case-insensitively.
func ParseJetstream(line []byte, keywords []string, now time.Time) (JetstreamEvent, error) {
	var m jetstreamMessage
	if err := json.Unmarshal(line, &m); err != nil {
		return JetstreamEvent{}, fmt.Errorf("sources: jetstream: %w", err)
	}
	ev := JetstreamEvent{TimeUS: m.TimeUS}
	if m.Kind != "commit" || m.Commit == nil || m.Commit.Collection != bskyPostCollection {
		return ev, nil
	}
	if m.DID == "" || m.Commit.RKey == "" || strings.ContainsAny(m.DID+m.Commit.RKey, "/ ") {
		return ev, fmt.Errorf("sources: jetstream: commit without did or rkey")
	}
	ev.DID = m.DID
	ev.ID = ItemID("bluesky", "at://"+m.DID+"/"+bskyPostCollection+"/"+m.Commit.RKey)
	switch m.Commit.Operation {
	case JetstreamDelete:
		ev.Op = JetstreamDelete
		return ev, nil
	case JetstreamCreate:
	default:
		return ev, nil
	}
	var p bskyPost
	if err := json.Unmarshal(m.Commit.Record, &p); err != nil {
		return ev, fmt.Errorf("sources: jetstream record: %w", err)
	}
	tags := bskyTags(p)
	if !bskyMatches(p.Text, tags, keywords) {
		return ev, nil
	}
	created, _ := time.Parse(time.RFC3339Nano, p.CreatedAt)
	// A client clock far in the future would pin the post to the top.
	if created.After(now.Add(5 * time.Minute)) {
		created = now
	}
	it := live.Item{
		ID:        ev.ID,
		Source:    "bluesky",
		Author:    didAuthor(m.DID),
		Text:      p.Text,
		HTML:      bskyHTML(p.Text, p.Facets),
		URL:       "https://bsky.app/profile/" + m.DID + "/post/" + m.Commit.RKey,
		CreatedAt: created,
		Media:     bskyMedia(m.DID, p.Embed),
		Reply:     len(p.Reply) > 0 && string(p.Reply) != "null",
	}
	if len(p.Langs) > 0 {
		it.Language = p.Langs[0]
	}
	if p.Labels != nil {
		for _, l := range p.Labels.Values {
			it.Labels = append(it.Labels, l.Val)
			it.Sensitive = it.Sensitive || live.SensitiveLabels[l.Val]
		}
	}
	Finish(&it, now)
	ev.Op = JetstreamCreate
	ev.Item = it
	return ev, nil
}

func bskyTags(p bskyPost) []string {
	var tags []string
	for _, f := range p.Facets {
		for _, ft := range f.Features {
			if ft.Type == "app.bsky.richtext.facet#tag" && ft.Tag != "" {
				tags = append(tags, ft.Tag)
			}
		}
	}
	return append(tags, p.Tags...)
}

func bskyMatches(text string, tags, keywords []string) bool {
	lower := strings.ToLower(text)
	for _, k := range keywords {
		k = strings.ToLower(strings.TrimSpace(k))
		bare := strings.TrimPrefix(k, "#")
		if bare == "" {
			continue
		}
		for _, t := range tags {
			if strings.ToLower(strings.TrimPrefix(t, "#")) == bare {
				return true
			}
		}
		if strings.Contains(lower, k) {
			return true
		}
	}
	return false
}

// bskyHTML renders the text with its tag and link facets as links. Facet
// offsets count UTF-8 bytes; facets that overlap, fall outside the text or
// split a character are ignored.
func bskyHTML(text string, facets []bskyFacet) string {
	type span struct {
		start, end int
		href       string
	}
	var spans []span
	for _, f := range facets {
		s, e := f.Index.ByteStart, f.Index.ByteEnd
		if s < 0 || e > len(text) || s >= e || !utf8.RuneStart(text[s]) || (e < len(text) && !utf8.RuneStart(text[e])) {
			continue
		}
		for _, ft := range f.Features {
			var href string
			switch ft.Type {
			case "app.bsky.richtext.facet#tag":
				href = "https://bsky.app/hashtag/" + url.PathEscape(ft.Tag)
			case "app.bsky.richtext.facet#link":
				href = SafeURL(ft.URI)
			case "app.bsky.richtext.facet#mention":
				href = "https://bsky.app/profile/" + url.PathEscape(ft.DID)
			}
			if href != "" {
				spans = append(spans, span{s, e, href})
				break
			}
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var b strings.Builder
	b.WriteString("<p>")
	pos := 0
	for _, sp := range spans {
		if sp.start < pos {
			continue
		}
		b.WriteString(escapeLines(text[pos:sp.start]))
		fmt.Fprintf(&b, `<a href="%s" rel="nofollow noopener" target="_blank">%s</a>`, html.EscapeString(sp.href), escapeLines(text[sp.start:sp.end]))
		pos = sp.end
	}
	b.WriteString(escapeLines(text[pos:]))
	b.WriteString("</p>")
	// Through the sanitizer anyway: the output is as trusted as any remote HTML.
	return SanitizeHTML(b.String())
}

func escapeLines(s string) string {
	return strings.ReplaceAll(html.EscapeString(strings.ToValidUTF8(s, "\uFFFD")), "\n", "<br>")
}

func bskyMedia(did string, e *bskyEmbed) []live.Media {
	if e == nil {
		return nil
	}
	if e.Media != nil && len(e.Images) == 0 {
		e = e.Media
	}
	var out []live.Media
	for _, img := range e.Images {
		cid := img.Image.Ref.Link
		if cid == "" {
			cid = img.Image.CID
		}
		if cid == "" || strings.ContainsAny(cid, "/?#@ ") {
			continue
		}
		out = append(out, live.Media{
			Type:     "image",
			URL:      "https://cdn.bsky.app/img/feed_fullsize/plain/" + did + "/" + cid + "@jpeg",
			ThumbURL: "https://cdn.bsky.app/img/feed_thumbnail/plain/" + did + "/" + cid + "@jpeg",
			Alt:      img.Alt,
		})
	}
	return out
}
