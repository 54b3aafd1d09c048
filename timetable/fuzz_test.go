package timetable

import (
	"strings"
	"testing"
)

// The parsers read files from outside: whatever the bytes, they return a
// schedule that holds what finish promises, or one *Error of one line;
// never a panic. Seeds: the fixtures, plus testdata/fuzz/<target>/.

func fuzzParse(f *testing.F, format string, fixtures ...string) {
	for _, name := range fixtures {
		f.Add(read(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(format, "f", data)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("message of several lines: %q", err)
			}
			return
		}
		ids := map[string]bool{}
		rooms := map[string]bool{}
		for _, r := range s.Rooms {
			rooms[r] = true
		}
		for _, ss := range s.Sessions {
			if ss.ID == "" || ss.Title == "" || !ss.End.After(ss.Start) || ids[ss.ID] {
				t.Fatalf("session breaks the promise: %+v", ss)
			}
			if ss.Room != "" && !rooms[ss.Room] {
				t.Fatalf("session in room %q, not in the room list %q", ss.Room, s.Rooms)
			}
			ids[ss.ID] = true
		}
	})
}

func FuzzParsePretalx(f *testing.F) { fuzzParse(f, FormatPretalx, "pretalx-schedule.json") }

func FuzzParseFrab(f *testing.F) { fuzzParse(f, FormatFrab, "frab-schedule.xml") }

func FuzzParseICS(f *testing.F) { fuzzParse(f, FormatICS, "pretalx-schedule.ics", "generic.ics") }
