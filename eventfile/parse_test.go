package eventfile

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseReadsTheAPIExample(t *testing.T) {
	f, err := Parse("aea-boston.yaml", readTestdata(t, "aea-boston.yaml"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if f.Event.Slug != "aea-boston-2026" || f.Event.Title != "An Event Apart Boston" || f.Event.Timezone != "America/New_York" {
		t.Errorf("event = %+v", f.Event)
	}
	if want := time.Date(2026, 5, 24, 13, 0, 0, 0, time.UTC); !f.Event.StartsAt.Equal(want) {
		t.Errorf("starts_at = %v, want %v", f.Event.StartsAt, want)
	}
	if len(f.Sessions) != 1 || f.Sessions[0].Speaker != "Jen Simmons" || f.Sessions[0].RoomName() != "Main Hall" {
		t.Errorf("sessions = %+v", f.Sessions)
	}
	wantKeys := []string{
		"mastodon:https://mastodon.social#aeaboston",
		"bluesky:#aeaboston,aeaboston",
		"x:#aeaboston -is:retweet",
		"flickr:aeaboston",
		"feed:https://example.org/aea.atom",
	}
	if len(f.Sources) != len(wantKeys) {
		t.Fatalf("%d sources, want %d", len(f.Sources), len(wantKeys))
	}
	for i, k := range wantKeys {
		if f.Sources[i].Key != k || !f.Sources[i].Enabled {
			t.Errorf("sources[%d] key = %q enabled = %v, want %q enabled", i, f.Sources[i].Key, f.Sources[i].Enabled, k)
		}
	}
	if got := string(f.Sources[3].Config); got != `{"base_url":"https://api.flickr.com/services/rest","every":"2m","tags":"aeaboston","token_env":"FLICKR_API_KEY"}` {
		t.Errorf("flickr config = %s", got)
	}
}

func TestParseFillsDefaultsAndNormalizes(t *testing.T) {
	f, err := Parse("minimal.yaml", readTestdata(t, "minimal.yaml"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if f.Event.Posting != "open" || f.Event.Moderation != "after" {
		t.Errorf("posting/moderation = %q/%q, want open/after", f.Event.Posting, f.Event.Moderation)
	}
	f, err = Parse("full.yaml", readTestdata(t, "full.yaml"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if f.Event.Description != "Two days of talks.\nBring a laptop." || f.Event.Posting != "moderated" || f.Event.Moderation != "before" {
		t.Errorf("event = %+v", f.Event)
	}
	want := map[string]string{
		"mastodon-main": `{"instance":"https://mastodon.social","name":"mastodon-main","tag":"fullconf","token_env":"MASTODON_TOKEN"}`,
		"feed:https://example.org/feed.atom?lang=en": `{"every":"5m","url":"https://example.org/feed.atom?lang=en"}`,
		"replay": `{"every":"3s"}`,
	}
	for _, s := range f.Sources {
		if want[s.Key] != string(s.Config) {
			t.Errorf("source %q config = %s, want %s", s.Key, s.Config, want[s.Key])
		}
	}
	if f.Sources[1].Enabled {
		t.Error("feed source with enabled: false is enabled")
	}
}

// badCase changes one line of testdata/base.yaml (1-based) and expects
// exactly these problems.
type badCase struct {
	name    string
	line    int
	replace string
	want    []wantErr
}

type wantErr struct {
	line  int
	field string
	msg   string // a part of the message
}

var badCases = []badCase{
	{"bad event slug", 1, "slug: Bad_Slug", []wantErr{{1, "slug", "only a-z, 0-9 and single hyphens"}}},
	{"slug too long", 1, "slug: " + strings.Repeat("a", 65), []wantErr{{1, "slug", "at most 64"}}},
	{"unknown time zone", 3, "timezone: America/Boston", []wantErr{{3, "timezone", "not a known IANA time zone"}}},
	{"bad time", 4, "starts_at: 2026-05-24 9am", []wantErr{{4, "starts_at", "not an RFC 3339 time"}}},
	{"time without offset", 4, "starts_at: 2026-05-24T09:00:00", []wantErr{{4, "starts_at", "not an RFC 3339 time"}}},
	{"event ends before it starts", 5, "ends_at: 2026-05-23T17:00:00-04:00", []wantErr{{5, "ends_at", "ends before it starts"}}},
	{"session ends before it starts", 18, "    ends_at: 2026-05-24T09:30:00-04:00", []wantErr{{18, "sessions[1].ends_at", "ends before it starts"}}},
	{"session outside the event", 12, "    starts_at: 2026-05-24T08:00:00-04:00", []wantErr{{12, "sessions[0].starts_at", "starts before the event"}}},
	{"session after the event", 18, "    ends_at: 2026-05-27T11:00:00-04:00", []wantErr{{18, "sessions[1].ends_at", "ends after the event"}}},
	{"overlapping sessions in the same room", 17, "    starts_at: 2026-05-24T09:30:00-04:00", []wantErr{{17, "sessions[1].starts_at", `overlaps session "keynote" in room "Main Hall"`}}},
	{"duplicate session slug", 14, "  - slug: keynote", []wantErr{{14, "sessions[1].slug", `"keynote" is already used`}}},
	{"session without title", 10, "    title:", []wantErr{{10, "sessions[0].title", "is required"}}},
	{"bad posting", 6, "posting: sometimes", []wantErr{{6, "posting", "open, moderated or closed"}}},
	{"bad moderation", 7, "moderation: never", []wantErr{{7, "moderation", "after or before"}}},
	{"unknown source kind", 24, "  - kind: myspace", []wantErr{{24, "sources[1].kind", `"myspace" is not a known source kind`}}},
	{"missing required source field", 23, "    # token_env forgotten", []wantErr{{20, "sources[0].token_env", "is required for a mastodon source"}}},
	{"token written inline", 23, "    token: abc123secret", []wantErr{
		{20, "sources[0].token_env", "is required"},
		{23, "sources[0].token", "secrets are never written"},
	}},
	{"secret in token_env", 23, "    token_env: sk_live_a1b2c3", []wantErr{{23, "sources[0].token_env", "never the secret itself"}}},
	{"instance not a URL", 21, "    instance: mastodon.social", []wantErr{{21, "sources[0].instance", "absolute http or https URL"}}},
	{"bluesky endpoint over http", 25, "    endpoint: https://jetstream2.us-east.bsky.network/subscribe", []wantErr{{25, "sources[1].endpoint", "ws or wss URL"}}},
	{"empty keywords", 26, "    keywords: []", []wantErr{{26, "sources[1].keywords", "at least one keyword"}}},
	{"unknown event key", 2, "titel: Bad Cases", []wantErr{{1, "title", "is required"}, {2, "titel", "unknown field"}}},
	{"unknown session key", 11, "    rooom: Main Hall", []wantErr{{11, "sessions[0].rooom", "unknown field"}}},
	{"unknown source key", 22, "    hashtag: aeaboston", []wantErr{{20, "sources[0].tag", "is required"}, {22, "sources[0].hashtag", "unknown field for a mastodon source"}}},
	{"duplicate key", 2, "slug: again", []wantErr{{1, "title", "is required"}, {2, "slug", "appears twice (first on line 1)"}}},
	{"list where a value belongs", 10, "    title: [a, b]", []wantErr{{10, "sessions[0].title", "must be a single value, not a list"}}},
	{"value where a list belongs", 26, "    keywords: aeaboston", []wantErr{{26, "sources[1].keywords", "must be a list of keywords"}}},
	{"mapping where a value belongs", 11, "    room: {name: Main Hall}", []wantErr{{11, "sessions[0].room", "must be a single value, not a mapping"}}},
	{"enabled not a boolean", 26, `    enabled: "no"`, []wantErr{{20 + 4, "sources[1].keywords", "is required"}, {26, "sources[1].enabled", "must be true or false"}}},
	{"YAML syntax error", 15, "    title: [Second", []wantErr{{0, "", "YAML syntax"}}},
}

// withLine returns base with line n (1-based) replaced.
func withLine(base []byte, n int, s string) []byte {
	lines := strings.Split(string(base), "\n")
	lines[n-1] = s
	return []byte(strings.Join(lines, "\n"))
}

func TestParseReportsEachProblemAtItsLineAndField(t *testing.T) {
	base := readTestdata(t, "base.yaml")
	if _, err := Parse("base.yaml", base); err != nil {
		t.Fatalf("base.yaml must be valid: %v", err)
	}
	for _, c := range badCases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", withLine(base, c.line, c.replace))
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse error = %v (%T), want Errors", err, err)
			}
			if len(errs) != len(c.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(errs), len(c.want), errs)
			}
			for i, w := range c.want {
				e := errs[i]
				if e.File != "bad.yaml" || (w.line != 0 && e.Line != w.line) || (w.line == 0 && e.Line == 0) ||
					e.Field != w.field || !strings.Contains(e.Message, w.msg) {
					t.Errorf("problem %d = %q, want line %d field %q message containing %q", i, e.Error(), w.line, w.field, w.msg)
				}
			}
		})
	}
}

func TestErrorNamesFileLineAndField(t *testing.T) {
	base := readTestdata(t, "base.yaml")
	_, err := Parse("event.yaml", withLine(base, 18, "    ends_at: 2026-05-24T09:30:00-04:00"))
	if err == nil || err.Error() != "event.yaml:18: sessions[1].ends_at: ends before it starts" {
		t.Errorf("error = %q", err)
	}
}

func TestParseCollectsEveryProblemInLineOrder(t *testing.T) {
	data := []byte("slug: Nope\ntitle: ''\ntimezone: Mars/Olympus\nstarts_at: soon\nends_at: later\nposting: maybe\nextra: 1\n")
	_, err := Parse("many.yaml", data)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v", err)
	}
	want := []string{"slug", "title", "timezone", "starts_at", "ends_at", "posting", "extra"}
	if len(errs) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(errs), len(want), err)
	}
	for i, f := range want {
		if errs[i].Field != f || errs[i].Line != i+1 {
			t.Errorf("problem %d = %v, want field %s on line %d", i, errs[i], f, i+1)
		}
	}
	if lines := strings.Count(err.Error(), "\n") + 1; lines != len(want) {
		t.Errorf("Error() has %d lines, want one per problem", lines)
	}
}

func TestParseReportsAMappingWhereAListBelongs(t *testing.T) {
	data := append(readTestdata(t, "minimal.yaml"), "sessions: {slug: x}\n"...)
	_, err := Parse("m.yaml", data)
	if err == nil || err.Error() != "m.yaml:7: sessions: must be a list (entries starting with -), not a mapping" {
		t.Errorf("error = %v", err)
	}
}

func TestParseRejectsEmptyNonMappingAndMultiDocumentFiles(t *testing.T) {
	for name, data := range map[string]string{
		"empty":         "",
		"comment only":  "# nothing\n",
		"a list":        "- slug: x\n",
		"a scalar":      "hello\n",
		"two documents": string(readTestdata(t, "minimal.yaml")) + "---\nslug: two\n",
		"an alias":      string(readTestdata(t, "minimal.yaml")) + "description: &d hi\nhashtag: *d\n",
		"too large":     strings.Repeat("#", MaxFileSize+1),
	} {
		if _, err := Parse(name+".yaml", []byte(data)); err == nil {
			t.Errorf("%s: Parse succeeded", name)
		} else if !strings.HasPrefix(err.Error(), name+".yaml") {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
}

func TestParseStopsListingAfterFiftyProblems(t *testing.T) {
	data := "slug: many\ntitle: Many\ntimezone: UTC\nstarts_at: 2026-01-01T00:00:00Z\nends_at: 2026-01-02T00:00:00Z\nsessions:\n" +
		strings.Repeat("  - {slug: same, room: r, title: t, starts_at: 2026-01-01T00:00:00Z, ends_at: 2026-01-01T01:00:00Z}\n", 100)
	_, err := Parse("many.yaml", []byte(data))
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != 51 || errs[50].Error() != "many.yaml: and 148 more problems" {
		t.Fatalf("got %d problems, last %v", len(errs), errs[len(errs)-1])
	}
	data = "slug: many\nsessions:\n" + strings.Repeat("  - {}\n", 1001)
	if _, err := Parse("many.yaml", []byte(data)); err == nil || !strings.Contains(err.Error(), "many.yaml:3: sessions: has 1001 entries; at most 1000") {
		t.Errorf("err = %v", err)
	}
}
