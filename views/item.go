package views

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/backchannel/backchannel/live"
)

// ItemVM is one post or photo ready to render. Every URL in it is an
// absolute http(s) URL or empty; HTML is the server's sanitized HTML.
type ItemVM struct {
	Seq          int64
	ID           string
	Source       string
	SourceLabel  string
	Kind         string
	AuthorName   string
	AuthorHandle string
	AuthorURL    string
	AvatarURL    string
	// Text is the plain text, shown when HTML is empty.
	Text string
	// HTML was produced by the server's sanitizer; it is the one field
	// rendered unescaped.
	HTML string
	// URL is the item's origin permalink.
	URL       string
	Photos    []PhotoVM
	CreatedAt time.Time // in the event's time zone
	Session   string
	// Room is the slug of the room the item's session is in ("" when none),
	// what a page following one room filters on.
	Room   string
	Pinned bool
	// Care: the source marked the media sensitive, a label says so, or the
	// author gave a content warning (Warning): pages blur the media (and,
	// behind a warning, the text); the live page reveals them on a click,
	// the wall never does.
	Care    bool
	Warning string
	// Videos are shown as their poster frame (the wall) or a player that
	// loads nothing until played (the live page).
	Videos []VideoVM
	// Card is the link preview the server fetched, if any.
	Card *CardVM
}

// VideoVM is one video of an item.
type VideoVM struct {
	URL    string
	Poster string
	Alt    string
}

// CardVM is a link preview; every URL is http(s) or empty.
type CardVM struct {
	URL         string
	Title       string
	Description string
	ImageURL    string
	SiteName    string
}

// PhotoVM is one picture of an item: a thumbnail linking to the full size.
type PhotoVM struct {
	URL      string
	ThumbURL string
	Alt      string
}

// NewItemVM prepares an item for display in loc (the event's time zone; UTC
// when nil). Media other than images, and media without a usable http(s) URL,
// are dropped; so are non-http(s) author and origin URLs.
func NewItemVM(it live.Item, loc *time.Location) ItemVM {
	if loc == nil {
		loc = time.UTC
	}
	name := strings.TrimSpace(it.Author.Name)
	if name == "" {
		name = strings.TrimSpace(it.Author.Handle)
	}
	if name == "" {
		name = "Anonymous"
	}
	vm := ItemVM{
		Seq:          it.Seq,
		ID:           it.ID,
		Source:       it.Source,
		SourceLabel:  sourceLabel(it.Source),
		Kind:         it.Kind,
		AuthorName:   name,
		AuthorHandle: strings.TrimSpace(it.Author.Handle),
		AuthorURL:    SafeHTTPURL(it.Author.URL),
		AvatarURL:    SafeHTTPURL(it.Author.AvatarURL),
		Text:         it.Text,
		HTML:         strings.TrimSpace(it.HTML),
		URL:          SafeHTTPURL(it.URL),
		CreatedAt:    it.CreatedAt.In(loc),
		Session:      it.Session,
		Room:         it.Room,
		Pinned:       it.Pinned,
		Care:         it.NeedsCare(),
		Warning:      strings.TrimSpace(it.ContentWarning),
	}
	if c := it.Card; c != nil && SafeHTTPURL(c.URL) != "" {
		vm.Card = &CardVM{URL: SafeHTTPURL(c.URL), Title: c.Title, Description: c.Description,
			ImageURL: SafeHTTPURL(c.ImageURL), SiteName: c.SiteName}
	}
	for _, m := range it.Media {
		if m.Type == "video" || m.Type == "gifv" {
			if u := SafeHTTPURL(m.URL); u != "" {
				vm.Videos = append(vm.Videos, VideoVM{URL: u, Poster: SafeHTTPURL(m.ThumbURL), Alt: m.Alt})
			}
			continue
		}
		if m.Type != "" && m.Type != "image" && m.Type != "photo" {
			continue
		}
		full := SafeHTTPURL(m.URL)
		thumb := SafeHTTPURL(m.ThumbURL)
		if full == "" {
			full = thumb
		}
		if thumb == "" {
			thumb = full
		}
		if full == "" {
			continue
		}
		vm.Photos = append(vm.Photos, PhotoVM{URL: full, ThumbURL: thumb, Alt: m.Alt})
	}
	return vm
}

// NewItemVMs converts items in order, dropping hidden and held ones.
func NewItemVMs(items []live.Item, loc *time.Location) []ItemVM {
	out := make([]ItemVM, 0, len(items))
	for _, it := range items {
		if it.Hidden || it.Held {
			continue
		}
		out = append(out, NewItemVM(it, loc))
	}
	return out
}

// StreamOrder sorts items for the live stream in place and returns them:
// pinned first, then newest first (by seq, the log's order).
func StreamOrder(items []ItemVM) []ItemVM {
	slices.SortStableFunc(items, func(a, b ItemVM) int {
		if a.Pinned != b.Pinned {
			if a.Pinned {
				return -1
			}
			return 1
		}
		return cmp.Compare(b.Seq, a.Seq)
	})
	return items
}

func (it ItemVM) seqString() string { return strconv.FormatInt(it.Seq, 10) }

// DisplayHandle is the handle with one leading "@" (or "" when none).
func (it ItemVM) DisplayHandle() string {
	if it.AuthorHandle == "" {
		return ""
	}
	return "@" + strings.TrimPrefix(it.AuthorHandle, "@")
}
