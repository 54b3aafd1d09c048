package crud

import (
	"testing"
	"time"
)

func TestParseLocalReadsFormTimesInTheEventsZone(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	for in, want := range map[string]time.Time{
		"2026-05-24T09:00":          time.Date(2026, 5, 24, 13, 0, 0, 0, time.UTC),
		"2026-05-24T09:00:30":       time.Date(2026, 5, 24, 13, 0, 30, 0, time.UTC),
		"2026-05-24T09:00:00+02:00": time.Date(2026, 5, 24, 7, 0, 0, 0, time.UTC),
	} {
		got, ok := ParseLocal(in, ny)
		if !ok || !got.Equal(want) {
			t.Errorf("ParseLocal(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	if _, ok := ParseLocal("24/05/2026", ny); ok {
		t.Error("a day-first date was accepted")
	}
	if _, ok := ParseLocal("0001-01-01T00:00", ny); ok {
		t.Error("year 1 was accepted (it reads as an empty field further on)")
	}
	if got := LocalInput(time.Date(2026, 5, 24, 13, 0, 0, 0, time.UTC), ny); got != "2026-05-24T09:00" {
		t.Errorf("localInput = %q", got)
	}
}

func FuzzParseLocal(f *testing.F) {
	f.Add("2026-05-24T09:00")
	f.Add("2026-05-24T09:00:00Z")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseLocal(s, time.UTC)
		if ok && s != "" && got.IsZero() {
			t.Fatalf("ParseLocal(%q) accepted a zero time", s)
		}
		if ok && s != "" {
			if back, ok2 := ParseLocal(LocalInput(got, time.UTC), time.UTC); !ok2 || !back.Equal(got.Truncate(time.Minute)) {
				t.Fatalf("round trip of %q: %v → %v", s, got, back)
			}
		}
	})
}
