package sources

import (
	"bytes"
	"strings"
	"testing"
)

var testKeywords = []string{"#GopherCon2026"}

func TestJetstreamFixture(t *testing.T) {
	lines := bytes.Split(bytes.TrimSpace(fixture(t, "jetstream.jsonl")), []byte("\n"))
	var got []JetstreamEvent
	for i, l := range lines {
		ev, err := ParseJetstream(l, testKeywords, testNow)
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if ev.TimeUS == 0 {
			t.Errorf("line %d: time_us missing", i+1)
		}
		got = append(got, ev)
	}
	if len(got) != 6 {
		t.Fatalf("%d lines", len(got))
	}
	first := got[0]
	if first.Op != JetstreamCreate || first.ID != "bluesky:at://did:plc:q6gjnaw2blty4crticxkmujt/app.bsky.feed.post/3lbfk2vuowo2b" {
		t.Errorf("first: op %q id %q", first.Op, first.ID)
	}
	// The facet starts at byte 50, after "é" and "☕": the link must wrap exactly "#GopherCon2026".
	if !strings.Contains(first.Item.HTML, `>#GopherCon2026</a>`) || !strings.HasPrefix(first.Item.HTML, "<p>Café ☕ then straight into the Go generics talk <a href=\"https://bsky.app/hashtag/GopherCon2026\"") {
		t.Errorf("facet by byte offset: %s", first.Item.HTML)
	}
	m := first.Item.Media
	if len(m) != 1 || m[0].URL != "https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:q6gjnaw2blty4crticxkmujt/bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy@jpeg" ||
		m[0].ThumbURL != "https://cdn.bsky.app/img/feed_thumbnail/plain/did:plc:q6gjnaw2blty4crticxkmujt/bafkreibme22gw2h7y2h7tg2fhqotaqjucnbc24deqo72b6mkl2egezxhvy@jpeg" ||
		m[0].Alt != "Packed conference room" {
		t.Errorf("media %+v", m)
	}
	if first.Item.URL != "https://bsky.app/profile/did:plc:q6gjnaw2blty4crticxkmujt/post/3lbfk2vuowo2b" || first.Item.CreatedAt.Format("15:04:05.000") != "14:03:26.902" {
		t.Errorf("url %q created %v", first.Item.URL, first.Item.CreatedAt)
	}
	if got[1].Op != "" {
		t.Errorf("post without the tag must be dropped, got op %q", got[1].Op)
	}
	if got[2].Op != JetstreamCreate || len(got[2].Item.Media) != 0 {
		t.Errorf("reply with lowercase tag must match, external embed is no media: %+v", got[2])
	}
	if got[3].Op != JetstreamDelete || got[3].ID != first.ID {
		t.Errorf("delete: %+v", got[3])
	}
	if got[4].Op != "" || got[5].Op != "" {
		t.Errorf("identity/account must be ignored")
	}
}

func TestJetstreamKeywordMatchesRecordTagsAndText(t *testing.T) {
	mk := func(record string) []byte {
		return []byte(`{"did":"did:plc:a","time_us":1,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"r1","record":` + record + `}}`)
	}
	cases := []struct {
		name, record string
		keywords     []string
		match        bool
	}{
		{"record.tags", `{"text":"hello","tags":["gophercon2026"]}`, []string{"#GopherCon2026"}, true},
		{"plain keyword in text", `{"text":"At GOPHERCON2026 now"}`, []string{"gophercon2026"}, true},
		{"hashtag keyword in text without facet", `{"text":"hi #gophercon2026"}`, []string{"#GopherCon2026"}, true},
		{"no match", `{"text":"lunch"}`, []string{"#GopherCon2026", "gophercon"}, false},
	}
	for _, c := range cases {
		ev, err := ParseJetstream(mk(c.record), c.keywords, testNow)
		if err != nil || (ev.Op == JetstreamCreate) != c.match {
			t.Errorf("%s: op %q err %v", c.name, ev.Op, err)
		}
	}
}

func TestJetstreamIgnoresFacetsThatSplitCharacters(t *testing.T) {
	line := []byte(`{"did":"did:plc:a","time_us":1,"kind":"commit","commit":{"operation":"create","collection":"app.bsky.feed.post","rkey":"r","record":{"text":"é #go","facets":[{"index":{"byteStart":1,"byteEnd":99},"features":[{"$type":"app.bsky.richtext.facet#tag","tag":"go"}]}]}}}`)
	ev, err := ParseJetstream(line, []string{"#go"}, testNow)
	if err != nil || ev.Op != JetstreamCreate || strings.Contains(ev.Item.HTML, "<a") {
		t.Errorf("op %q html %q err %v", ev.Op, ev.Item.HTML, err)
	}
}

func FuzzJetstream(f *testing.F) {
	for _, l := range bytes.Split(fixture(f, "jetstream.jsonl"), []byte("\n")) {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := ParseJetstream(b, testKeywords, testNow)
		if err == nil && ev.Op == JetstreamCreate {
			checkItemInvariants(t, ev.Item)
		}
	})
}
