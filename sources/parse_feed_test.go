package sources

import (
	"strings"
	"testing"
	"time"
)

func TestFeedFixture(t *testing.T) {
	items, err := ParseFeed(fixture(t, "feed.atom"), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 {
		t.Fatalf("%d items", len(items))
	}
	var keynote, room = items[1], items[0]
	if keynote.ID != "feed:tag:blog.gophercon.example,2024-11-20:/notes/keynote" || keynote.Author.Name != "Ada L." {
		t.Errorf("keynote %+v", keynote)
	}
	if strings.Contains(keynote.HTML, "script") || strings.Contains(keynote.Text, "alert") {
		t.Errorf("script survived: %q / %q", keynote.HTML, keynote.Text)
	}
	if !strings.Contains(keynote.Text, "opening keynote & a link") || !strings.HasPrefix(keynote.Text, "Keynote: Generics in practice") {
		t.Errorf("text %q", keynote.Text)
	}
	if len(keynote.Media) != 1 || keynote.Media[0].URL != "https://blog.gophercon.example/img/keynote.jpg" {
		t.Errorf("enclosure %+v", keynote.Media)
	}
	if !strings.HasPrefix(room.Text, "Room change: Testing talk moves to Hall 2") || strings.Contains(room.Text, "<em>") {
		t.Errorf("html title: %q", room.Text)
	}
	if !strings.Contains(room.HTML, "<strong>Hall 2</strong>") {
		t.Errorf("xhtml content: %q", room.HTML)
	}
	if room.Author.Name != "GopherCon Team" {
		t.Errorf("inherited author %+v", room.Author)
	}
	if !room.CreatedAt.Equal(time.Date(2024, 11, 20, 12, 40, 0, 0, time.UTC)) || room.CreatedAt.Location() != time.UTC {
		t.Errorf("offset time %v", room.CreatedAt)
	}
}

func FuzzFeed(f *testing.F) {
	f.Add(fixture(f, "feed.atom"))
	f.Add([]byte(`<rss version="2.0"><channel><item><guid>1</guid><title>t</title><description>&lt;img src=x onerror=y&gt;</description></item></channel></rss>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		items, err := ParseFeed(b, testNow)
		if err == nil {
			for _, it := range items {
				checkItemInvariants(t, it)
			}
		}
	})
}
