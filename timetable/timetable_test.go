package timetable

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func read(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func berlin(t testing.TB, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// want is the conference all three fixtures describe: three rooms, two
// talks at 10:00 and one at 10:15 running in parallel.
type wantSession struct {
	title, room, track, speaker string
	start, end                  string
}

var webconf = []wantSession{
	{"Opening Keynote", "Main Hall", "Keynotes", "Ana Lima", "2026-05-24 09:00", "2026-05-24 09:45"},
	{"CSS Layout Today", "Main Hall", "CSS", "Jen Simmons", "2026-05-24 10:00", "2026-05-24 10:45"},
	{"Rust for Web Developers", "Room B", "Backend", "Marta Nowak, Pat Doe", "2026-05-24 10:00", "2026-05-24 10:45"},
	{"Accessible Forms", "Room C", "Accessibility", "Léa Dupont", "2026-05-24 10:15", "2026-05-24 11:00"},
	{"Closing Panel", "Main Hall", "", "Ana Lima, Jen Simmons, Sam Okoro", "2026-05-25 16:00", "2026-05-25 17:00"},
}

func TestEachFormatReadsTheSameThreeRoomConference(t *testing.T) {
	cases := []struct {
		format, file string
		ids          []string
		tracks       bool // iCalendar from pretalx carries no track
	}{
		{FormatPretalx, "pretalx-schedule.json", []string{"6a1c2b3d-0000-5000-8000-000000000101", "6a1c2b3d-0000-5000-8000-000000000102",
			"6a1c2b3d-0000-5000-8000-000000000103", "6a1c2b3d-0000-5000-8000-000000000104", "6a1c2b3d-0000-5000-8000-000000000105"}, true},
		{FormatFrab, "frab-schedule.xml", []string{"6a1c2b3d-0000-5000-8000-000000000101", "6a1c2b3d-0000-5000-8000-000000000102",
			"6a1c2b3d-0000-5000-8000-000000000103", "6a1c2b3d-0000-5000-8000-000000000104", "6a1c2b3d-0000-5000-8000-000000000105"}, true},
		{FormatICS, "pretalx-schedule.ics", []string{"pretalx-webconf-2026-KX7QPL@pretalx.example.org", "pretalx-webconf-2026-M3NB8Z@pretalx.example.org",
			"pretalx-webconf-2026-R7TY2W@pretalx.example.org", "pretalx-webconf-2026-Q9WE4R@pretalx.example.org", "pretalx-webconf-2026-UV12WX@pretalx.example.org"}, false},
	}
	for _, c := range cases {
		t.Run(c.format, func(t *testing.T) {
			s, err := Parse(c.format, c.file, read(t, c.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(s.Rooms, "|"); got != "Main Hall|Room B|Room C" {
				t.Errorf("rooms = %s", got)
			}
			if len(s.Sessions) != len(webconf) {
				t.Fatalf("%d sessions, want %d", len(s.Sessions), len(webconf))
			}
			for i, w := range webconf {
				g := s.Sessions[i]
				track := w.track
				if !c.tracks {
					track = ""
				}
				if g.ID != c.ids[i] || g.Title != w.title || g.Room != w.room || g.Track != track || g.Speaker() != w.speaker ||
					!g.Start.Equal(berlin(t, w.start)) || !g.End.Equal(berlin(t, w.end)) {
					t.Errorf("session %d = %+v (speaker %q), want %+v id %s", i, g, g.Speaker(), w, c.ids[i])
				}
			}
		})
	}
}

func TestAGenericCalendarReadsFloatingTimesInItsZoneAndSkipsAllDayEvents(t *testing.T) {
	s, err := Parse(FormatICS, "generic.ics", read(t, "generic.ics"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Sessions) != 2 {
		t.Fatalf("%d sessions, want 2 (the all-day event is not one): %+v", len(s.Sessions), s.Sessions)
	}
	ny, _ := time.LoadLocation("America/New_York")
	a, b := s.Sessions[0], s.Sessions[1]
	if a.Title != "Lightning talks, round one" || a.Track != "Community" || a.Room != "Main Hall" ||
		!a.Start.Equal(time.Date(2026, 5, 24, 9, 0, 0, 0, ny)) || a.End.Sub(a.Start) != 45*time.Minute {
		t.Errorf("first = %+v", a)
	}
	if b.Title != "A talk whose title is long enough that the calendar folds the line it sits on" ||
		!b.Start.Equal(time.Date(2026, 5, 24, 14, 0, 0, 0, time.UTC)) {
		t.Errorf("second = %+v", b)
	}
	if s.Title != "Meetup Day" || s.TimeZone != "America/New_York" {
		t.Errorf("calendar = %q %q", s.Title, s.TimeZone)
	}
}

// Bad input: one message, naming the file and the place.
func TestBadSchedulesFailWithOneMessageNamingThePlace(t *testing.T) {
	json := string(read(t, "pretalx-schedule.json"))
	xml := string(read(t, "frab-schedule.xml"))
	ical := string(read(t, "pretalx-schedule.ics"))
	cases := []struct {
		name, format, data string
		want               []string
	}{
		{"xml given as pretalx", FormatPretalx, xml, []string{"s.txt:1:", "is XML", "--format frab"}},
		{"json given as frab", FormatFrab, json, []string{"s.txt:1:", "is JSON", "--format pretalx"}},
		{"json given as ics", FormatICS, json, []string{"s.txt:1:", "not an iCalendar file"}},
		{"an html page", FormatFrab, "<!DOCTYPE html><html><body>Login</body></html>", []string{"an HTML page"}},
		{"xml of another kind", FormatFrab, "<?xml version='1.0'?>\n<rss><channel/></rss>", []string{"s.txt:2:", "root element is <rss>"}},
		{"truncated xml", FormatFrab, xml[:len(xml)/2], []string{"s.txt:", "ends early", "truncated"}},
		{"truncated json", FormatPretalx, json[:len(json)/2], []string{"s.txt:", "truncated"}},
		{"truncated calendar", FormatICS, ical[:len(ical)/2], []string{"s.txt:", "no END:VCALENDAR", "truncated"}},
		{"json time without zone", FormatPretalx,
			strings.NewReplacer(`"time_zone_name": "Europe/Berlin",`, ``, `"date": "2026-05-24T10:15:00+02:00"`, `"date": "2026-05-24T10:15:00"`).Replace(json),
			[]string{`days[0].rooms["Room C"][0] "Accessible Forms"`, `"2026-05-24T10:15:00" has no zone`}},
		{"xml time without zone", FormatFrab,
			strings.NewReplacer(`<time_zone_name>Europe/Berlin</time_zone_name>`, ``, `<date>2026-05-24T10:15:00+02:00</date>`, `<date>2026-05-24T10:15:00</date>`).Replace(xml),
			[]string{`s.txt:100:`, `<event id="104"> "Accessible Forms"`, "has no zone"}},
		{"calendar floating time", FormatICS, strings.Replace(ical, "DTSTART;TZID=Europe/Berlin:20260524T101500", "DTSTART:20260524T101500", 1),
			[]string{`VEVENT 4 (UID pretalx-webconf-2026-Q9WE4R@pretalx.example.org)`, "DTSTART", "has no zone"}},
		{"calendar unknown zone", FormatICS, strings.Replace(ical, "DTSTART;TZID=Europe/Berlin:20260524T101500", "DTSTART;TZID=W. Europe Standard Time:20260524T101500", 1),
			[]string{`VEVENT 4`, `TZID "W. Europe Standard Time" is not a time zone name`}},
		{"json ends before it starts", FormatPretalx, strings.Replace(json, `"duration": "00:45"`, `"duration": "00:00"`, 1),
			[]string{`"Opening Keynote"`, "ends when it starts"}},
		{"xml bad duration", FormatFrab, strings.Replace(xml, `<duration>00:45</duration>`, `<duration>-00:45</duration>`, 1),
			[]string{`s.txt:21:`, `<event id="101">`, `duration "-00:45" is not HH:MM`}},
		{"calendar ends before it starts", FormatICS, strings.Replace(ical, "DTEND;TZID=Europe/Berlin:20260524T110000", "DTEND;TZID=Europe/Berlin:20260524T100000", 1),
			[]string{`VEVENT 4`, "ends (2026-05-24T10:00:00+02:00) before it starts (2026-05-24T10:15:00+02:00)"}},
		{"xml duplicate ids", FormatFrab, strings.Replace(xml, "6a1c2b3d-0000-5000-8000-000000000104", "6a1c2b3d-0000-5000-8000-000000000103", 1),
			[]string{`s.txt:100:`, `<event id="104">`, `has the id "6a1c2b3d-0000-5000-8000-000000000103", as <event id="103"> "Rust for Web Developers" (line 73) does`}},
		{"json duplicate ids", FormatPretalx, strings.Replace(json, "6a1c2b3d-0000-5000-8000-000000000105", "6a1c2b3d-0000-5000-8000-000000000101", 1),
			[]string{`"Closing Panel"`, `has the id "6a1c2b3d-0000-5000-8000-000000000101"`}},
		{"calendar duplicate uids", FormatICS, strings.Replace(ical, "UID:pretalx-webconf-2026-UV12WX", "UID:pretalx-webconf-2026-KX7QPL", 1),
			[]string{`VEVENT 5`, `has the id "pretalx-webconf-2026-KX7QPL@pretalx.example.org"`}},
		{"json without a schedule", FormatPretalx, `{"talks": []}`, []string{"has no schedule.conference"}},
		{"json of the wrong shape", FormatPretalx, `{"schedule": {"conference": {"days": "monday"}}}`, []string{"s.txt:1:", "schedule.conference.days", "wants a list"}},
		{"json unknown zone", FormatPretalx, strings.Replace(json, `"Europe/Berlin"`, `"Mars/Olympus"`, 1), []string{`time_zone_name "Mars/Olympus"`}},
		{"a talk without an id", FormatFrab, strings.Replace(strings.Replace(xml, ` id='102'`, ``, 1), `guid='6a1c2b3d-0000-5000-8000-000000000102'`, ``, 1),
			[]string{`s.txt:46:`, `"CSS Layout Today"`, "has no id"}},
		{"empty file", FormatICS, " \n", []string{"s.txt: the file is empty"}},
		{"not utf-8", FormatFrab, "<schedule>\n<conference><title>\xff</title></conference></schedule>", []string{"s.txt:2:", "not valid UTF-8"}},
		{"unknown format", "csv", "a,b", []string{`unknown format "csv"`}},
		{"a 50 MB file", FormatPretalx, json + strings.Repeat(" ", 50<<20), []string{"s.txt: the file is 50.0 MB; a schedule may be at most 16.0 MB"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Parse(c.format, "s.txt", []byte(c.data))
			if err == nil {
				t.Fatalf("parsed, want an error: %+v", s)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("message has several lines: %q", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not say %q", msg, w)
				}
			}
		})
	}
}

func TestLongTitlesAndSpeakerListsAreCutNotRefused(t *testing.T) {
	json := string(read(t, "pretalx-schedule.json"))
	long := strings.Repeat("Très long titre ", 20)
	s, err := Parse(FormatPretalx, "s.json", []byte(strings.Replace(json, `"title": "Opening Keynote"`, `"title": "`+long+`"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	got := []rune(s.Sessions[0].Title)
	if len(got) != 200 || got[len(got)-1] != '…' {
		t.Errorf("title = %q (%d characters)", string(got), len(got))
	}
}

func TestICSDurations(t *testing.T) {
	for in, want := range map[string]time.Duration{"PT45M": 45 * time.Minute, "PT1H30M": 90 * time.Minute, "P1D": 24 * time.Hour,
		"P1W": 7 * 24 * time.Hour, "PT90S": 90 * time.Second, "-PT5M": -5 * time.Minute} {
		if got, err := parseICSDuration(in); err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "P", "PT", "45M", "PT45X", "P1H"} {
		if _, err := parseICSDuration(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
