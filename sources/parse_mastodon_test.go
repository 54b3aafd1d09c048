package sources

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestMastodonFixtureStreamParsesEveryEvent(t *testing.T) {
	events, dropped, err := ParseSSE(bytes.NewReader(fixture(t, "mastodon_sse.txt")))
	if err != nil || dropped != 0 {
		t.Fatalf("ParseSSE: %v, dropped %d", err, dropped)
	}
	if len(events) != 3 {
		t.Fatalf("got %d events, want 3 (comments are not events)", len(events))
	}
	upd, err := ParseMastodonEvent(events[0].Event, events[0].Data, testNow)
	if err != nil {
		t.Fatal(err)
	}
	it := upd.Item
	if upd.Kind != MastodonUpdate || upd.StatusID != "113512345678901234" {
		t.Errorf("update kind %q id %q", upd.Kind, upd.StatusID)
	}
	if it.ID != "mastodon:https://fosstodon.example/users/ada/statuses/113512345600000001" {
		t.Errorf("ID must be keyed by uri, got %q", it.ID)
	}
	if it.Author.Handle != "@ada@fosstodon.example" || it.Author.Name != "Ada L. ☕" {
		t.Errorf("author %+v", it.Author)
	}
	if it.Text != "Slides from the keynote are up! #GopherCon2026" {
		t.Errorf("text %q", it.Text)
	}
	if strings.Contains(it.HTML, "class=") || !strings.Contains(it.HTML, `rel="nofollow noopener" target="_blank"`) {
		t.Errorf("html not sanitized: %s", it.HTML)
	}
	if !it.CreatedAt.Equal(time.Date(2024, 11, 20, 14, 3, 27, 0, time.UTC)) || it.URL != "https://fosstodon.example/@ada/113512345600000001" {
		t.Errorf("created %v url %q", it.CreatedAt, it.URL)
	}
	if len(it.Media) != 1 || !strings.HasSuffix(it.Media[0].URL, "/original/keynote.jpg") || !strings.HasSuffix(it.Media[0].ThumbURL, "/small/keynote.jpg") || it.Media[0].Alt == "" {
		t.Errorf("media %+v", it.Media)
	}

	edit, err := ParseMastodonEvent(events[1].Event, events[1].Data, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if edit.Kind != MastodonStatusUpdate || edit.Item.Author.Handle != "@bob@mastodon.example" || edit.Item.Author.Name != "bob" {
		t.Errorf("status.update %q author %+v", edit.Kind, edit.Item.Author)
	}
	if !strings.HasPrefix(edit.Item.Text, "Room B is full & overflow") || !strings.Contains(edit.Item.HTML, "full &amp; overflow") {
		t.Errorf("entities: text %q html %q", edit.Item.Text, edit.Item.HTML)
	}

	del, err := ParseMastodonEvent(events[2].Event, events[2].Data, testNow)
	if err != nil || del.Kind != MastodonDelete || del.StatusID != upd.StatusID {
		t.Errorf("delete: %+v %v", del, err)
	}
}

func TestMastodonRejectsBadEvents(t *testing.T) {
	cases := []struct{ event, data string }{
		{"update", `{"id":"1"`},
		{"update", `{"id":"1","content":"no uri"}`},
		{"notification", `{}`},
		{"delete", ``},
		{"delete", `two words`},
	}
	for _, c := range cases {
		if _, err := ParseMastodonEvent(c.event, []byte(c.data), testNow); err == nil {
			t.Errorf("event %q data %q: want an error", c.event, c.data)
		}
	}
}

func TestSSEDropsOverlongEventAndGoesOn(t *testing.T) {
	huge := strings.Repeat("x", MaxLine+10)
	in := "event: update\ndata: " + huge + "\n\nevent: delete\ndata: 42\n\n"
	events, dropped, err := ParseSSE(strings.NewReader(in))
	if err != nil || dropped != 1 || len(events) != 1 || string(events[0].Data) != "42" {
		t.Errorf("events %d dropped %d err %v", len(events), dropped, err)
	}
}

func TestSSEStreamCutMidEventReportsUnexpectedEOF(t *testing.T) {
	events, _, err := ParseSSE(strings.NewReader("event: delete\ndata: 1\n\nevent: update\ndata: {\"id\":"))
	if len(events) != 1 || err == nil {
		t.Errorf("events %d err %v", len(events), err)
	}
}

func FuzzMastodonSSE(f *testing.F) {
	f.Add(fixture(f, "mastodon_sse.txt"))
	f.Add([]byte("event: delete\ndata: 1\n\n"))
	f.Add([]byte("event: update\ndata: {\"id\":\"1\",\"uri\":\"x\",\"reblog\":{}}\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		events, _, _ := ParseSSE(bytes.NewReader(b))
		for _, ev := range events {
			e, err := ParseMastodonEvent(ev.Event, ev.Data, testNow)
			if err == nil && e.Kind != MastodonDelete {
				checkItemInvariants(t, e.Item)
			}
		}
	})
}

func TestMastodonTimelineSkipsStatusesThatDoNotParse(t *testing.T) {
	events, _, _ := ParseSSE(bytes.NewReader(fixture(t, "mastodon_sse.txt")))
	page := []byte("[" + string(events[1].Data) + `,{"id":"9"},` + string(events[0].Data) + "]")
	items, ids, err := ParseMastodonTimeline(page, testNow)
	if err != nil || len(items) != 2 || ids[0] != "113512349999000001" || ids[1] != "113512345678901234" {
		t.Errorf("items %d ids %v err %v", len(items), ids, err)
	}
}

func FuzzMastodonTimeline(f *testing.F) {
	events, _, _ := ParseSSE(bytes.NewReader(fixture(f, "mastodon_sse.txt")))
	f.Add([]byte("[" + string(events[0].Data) + "," + string(events[1].Data) + "]"))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		items, ids, err := ParseMastodonTimeline(b, testNow)
		if err == nil && len(items) != len(ids) {
			t.Fatalf("%d items, %d ids", len(items), len(ids))
		}
		for _, it := range items {
			checkItemInvariants(t, it)
		}
	})
}
