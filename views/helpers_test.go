package views

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// renderDoc renders a component and parses it as a browser would.
func renderDoc(t *testing.T, c templ.Component) (*goquery.Document, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	html := buf.String()
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc, html
}

// testNow is during the opening keynote of testEvent.
var testNow = time.Date(2026, 5, 24, 13, 30, 0, 0, time.UTC) // 09:30 in Boston

func testEvent() *models.Event {
	ny, _ := time.LoadLocation("America/New_York")
	at := func(d, h, m int) time.Time { return time.Date(2026, 5, d, h, m, 0, 0, ny) }
	hall := models.Room{ID: 1, Slug: "main-hall", Name: "Main Hall"}
	roomB := models.Room{ID: 2, Slug: "room-b", Name: "Room B"}
	return &models.Event{
		ID: 1, Slug: "aea-boston-2026", Title: "An Event Apart Boston", Hashtag: "aeaboston",
		Timezone: "America/New_York", StartsAt: at(24, 9, 0), EndsAt: at(26, 17, 0), Posting: "open",
		Sessions: []models.Session{
			{Slug: "opening-keynote", Title: "The Future of CSS", Speaker: "Jen Simmons", Room: &hall, StartsAt: at(24, 9, 0), EndsAt: at(24, 10, 0)},
			{Slug: "layouts", Title: "Layouts in Practice", Speaker: "Rachel Andrew", Room: &roomB, StartsAt: at(24, 10, 30), EndsAt: at(24, 11, 30)},
			{Slug: "day-two", Title: "Day Two Opener", Speaker: "Eric Meyer", Room: &hall, StartsAt: at(25, 9, 0), EndsAt: at(25, 10, 0)},
		},
	}
}

func testItem(seq int64, name, text string) live.Item {
	return live.Item{
		Seq: seq, ID: "mastodon:" + name, Source: "mastodon", Kind: "post",
		Author:    live.Author{Name: name, Handle: "@" + name + "@example.social", URL: "https://example.social/@" + name, AvatarURL: "https://example.social/a/" + name + ".png"},
		Text:      text,
		CreatedAt: testNow.Add(-time.Duration(seq) * time.Minute),
		Session:   "opening-keynote",
	}
}
