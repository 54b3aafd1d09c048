package eventfile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, and that a file it accepts
// writes back (Marshal) to a file that parses to the same event.
func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.yaml")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	base, _ := os.ReadFile("testdata/base.yaml")
	for _, c := range badCases {
		f.Add(withLine(base, c.line, c.replace))
	}
	f.Add(DemoYAML())
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("sessions: [[[[[]]]]]\nsources: [{kind: [x]}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		out, err := file.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a valid file: %v", err)
		}
		again, err := Parse("again.yaml", out)
		if err != nil {
			t.Fatalf("written file does not parse: %v\n%s", err, out)
		}
		if !sameFile(file, again) {
			t.Fatalf("written file parses differently:\n%s", out)
		}
	})
}

func sameFile(a, b *File) bool {
	ea, eb := a.Event, b.Event
	if !ea.StartsAt.Equal(eb.StartsAt) || !ea.EndsAt.Equal(eb.EndsAt) {
		return false
	}
	ea.StartsAt, ea.EndsAt = eb.StartsAt, eb.EndsAt
	if !reflect.DeepEqual(ea, eb) || len(a.Sessions) != len(b.Sessions) || len(a.Sources) != len(b.Sources) {
		return false
	}
	for i := range a.Sessions {
		sa, sb := a.Sessions[i], b.Sessions[i]
		if !sa.StartsAt.Equal(sb.StartsAt) || !sa.EndsAt.Equal(sb.EndsAt) {
			return false
		}
		sa.StartsAt, sa.EndsAt = sb.StartsAt, sb.EndsAt
		if sa.Slug != sb.Slug || sa.Title != sb.Title || sa.Speaker != sb.Speaker || sa.RoomSlug() != sb.RoomSlug() ||
			sa.Track != sb.Track || sa.ScheduleID != sb.ScheduleID || strings.Join(sa.Tags, "\x00") != strings.Join(sb.Tags, "\x00") ||
			strings.Join(sa.SpeakerHandles, "\x00") != strings.Join(sb.SpeakerHandles, "\x00") {
			return false
		}
	}
	for i := range a.Sources {
		sa, sb := a.Sources[i], b.Sources[i]
		if sa.Kind != sb.Kind || sa.Key != sb.Key || sa.Enabled != sb.Enabled || !json.Valid(sa.Config) || string(sa.Config) != string(sb.Config) {
			return false
		}
	}
	return true
}
