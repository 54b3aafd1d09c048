package timetable

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
)

// iCalendar (RFC 5545): one VEVENT a session. A VEVENT's UID (3.8.4.7) is
// its id, SUMMARY (3.8.1.12) its title, LOCATION (3.8.1.7) its room, the
// first of its CATEGORIES (3.8.1.2) its track; it starts at DTSTART
// (3.8.2.4) and ends at DTEND (3.8.2.2) or after DURATION (3.8.2.5).
//
// Times (3.3.5) come in three forms: UTC ("…Z"), local with a TZID
// parameter naming a zone, and "floating" (neither), which RFC 5545 says
// is the same wall-clock time in every zone. A floating time is read in
// the calendar's X-WR-TIMEZONE when it has one (Apple and Google write
// it), and is an error otherwise. A TZID is read as an IANA zone name,
// which is what pretalx (src/pretalx/schedule/ical.py, via vobject),
// Google and Apple write.
//
// Not sessions, and skipped: all-day events (DTSTART;VALUE=DATE, "Day 1"),
// and an overridden occurrence of a recurring event (RECURRENCE-ID, which
// shares its UID with the series). A recurring event is read as its first
// occurrence.
//
// pretalx's awkward part: its SUMMARY is "Title - Speaker, Speaker"
// (TalkSlot.build_ical) and it writes no speakers elsewhere, so for a
// calendar whose PRODID starts with "-//pretalx//" the part after the last
// " - " is read as the speakers.

var icsDuration = regexp.MustCompile(`^([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$`)

// ParseICS reads an iCalendar file.
func ParseICS(name string, data []byte) (*Schedule, error) {
	fail := func(where, format string, args ...any) error {
		return &Error{File: name, Where: where, Message: fmt.Sprintf(format, args...)}
	}
	if k := sniff(data); !strings.HasPrefix(k, "an iCalendar") {
		return nil, &Error{File: name, Line: 1, Message: fmt.Sprintf("is %s, not an iCalendar file: it does not begin with BEGIN:VCALENDAR", k)}
	}
	// The parser reads a calendar cut short without complaint; RFC 5545's
	// grammar ends every calendar with END:VCALENDAR.
	lines := bytes.Split(bytes.TrimRight(data, " \t\r\n"), []byte("\n"))
	if last := strings.TrimSpace(string(lines[len(lines)-1])); !strings.EqualFold(last, "END:VCALENDAR") {
		return nil, &Error{File: name, Line: len(lines), Message: "the calendar ends early (no END:VCALENDAR): the file is truncated"}
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(data))
	if err != nil {
		return nil, fail("", "is not a readable iCalendar file: %v", err)
	}
	var floating *time.Location
	pretalx := false
	for _, p := range cal.CalendarProperties {
		switch strings.ToUpper(p.IANAToken) {
		case "X-WR-TIMEZONE":
			if floating, err = zoneOf(p.Value); err != nil {
				return nil, fail("X-WR-TIMEZONE", "%v", err)
			}
		case "PRODID":
			pretalx = strings.HasPrefix(p.Value, "-//pretalx//")
		}
	}
	s := &Schedule{Format: FormatICS, TimeZone: ""}
	if floating != nil {
		s.TimeZone = floating.String()
	}
	for _, p := range cal.CalendarProperties {
		if strings.EqualFold(p.IANAToken, "X-WR-CALNAME") {
			s.Title = p.Value
		}
	}
	for i, ev := range cal.Events() {
		uid := value(ev.GetProperty(ics.ComponentPropertyUniqueId))
		where := fmt.Sprintf("VEVENT %d", i+1)
		if uid != "" {
			where += fmt.Sprintf(" (UID %s)", uid)
		}
		if ev.GetProperty(ics.ComponentPropertyRecurrenceId) != nil {
			continue
		}
		start := ev.GetProperty(ics.ComponentPropertyDtStart)
		if start == nil {
			return nil, fail(where, "has no DTSTART")
		}
		if allDay(start) {
			continue
		}
		ss := Session{ID: uid, Title: value(ev.GetProperty(ics.ComponentPropertySummary)),
			Room: value(ev.GetProperty(ics.ComponentPropertyLocation)), Where: where}
		if t := ss.Title; t != "" {
			ss.Where += fmt.Sprintf(" %q", t)
		}
		if c := value(ev.GetProperty(ics.ComponentPropertyCategories)); c != "" {
			ss.Track, _, _ = strings.Cut(c, ",")
		}
		if pretalx {
			if i := strings.LastIndex(ss.Title, " - "); i > 0 {
				ss.Speakers = strings.Split(ss.Title[i+3:], ", ")
				ss.Title = ss.Title[:i]
			}
		}
		if ss.Start, err = icsTime(start, floating); err != nil {
			return nil, fail(ss.Where, "DTSTART: %v", err)
		}
		switch end, dur := ev.GetProperty(ics.ComponentPropertyDtEnd), ev.GetProperty(ics.ComponentPropertyDuration); {
		case end != nil:
			if ss.End, err = icsTime(end, floating); err != nil {
				return nil, fail(ss.Where, "DTEND: %v", err)
			}
		case dur != nil:
			d, err := parseICSDuration(dur.Value)
			if err != nil {
				return nil, fail(ss.Where, "DURATION: %v", err)
			}
			ss.End = ss.Start.Add(d)
		default:
			return nil, fail(ss.Where, "has neither DTEND nor DURATION, so it has no length")
		}
		s.Sessions = append(s.Sessions, ss)
	}
	if len(s.Sessions) == 0 && len(cal.Events()) == 0 {
		return nil, fail("", "has no VEVENT: there is no session in it")
	}
	if err := s.finish(name); err != nil {
		return nil, err
	}
	return s, nil
}

func value(p *ics.IANAProperty) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(p.Value)
}

// allDay reports a DATE value (RFC 5545 3.3.4): VALUE=DATE, or eight digits.
func allDay(p *ics.IANAProperty) bool {
	for _, v := range p.ICalParameters["VALUE"] {
		if strings.EqualFold(v, "DATE") {
			return true
		}
	}
	return len(strings.TrimSpace(p.Value)) == 8
}

// icsTime reads a DATE-TIME (RFC 5545 3.3.5): UTC, with a TZID, or floating
// (read in floating, an error when nil).
func icsTime(p *ics.IANAProperty, floating *time.Location) (time.Time, error) {
	v := strings.TrimSpace(p.Value)
	const local = "20060102T150405"
	if strings.HasSuffix(v, "Z") {
		t, err := time.Parse(local+"Z", v)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not a date and time such as 20260524T090000Z", v)
		}
		return t, nil
	}
	t, err := time.ParseInLocation(local, v, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date and time such as 20260524T090000Z", v)
	}
	loc := floating
	if tz := p.ICalParameters["TZID"]; len(tz) > 0 {
		name := strings.TrimPrefix(strings.Trim(tz[0], `"`), "/")
		if loc, err = time.LoadLocation(name); err != nil || name == "" {
			return time.Time{}, fmt.Errorf("TZID %q is not a time zone name (such as Europe/Berlin)", tz[0])
		}
	}
	if loc == nil {
		return time.Time{}, fmt.Errorf("time %q has no zone (no Z, no TZID, and the calendar has no X-WR-TIMEZONE)", v)
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc), nil
}

// parseICSDuration reads an RFC 5545 DURATION (3.3.6) such as PT45M.
func parseICSDuration(s string) (time.Duration, error) {
	m := icsDuration.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil || strings.TrimSpace(s) == "P" || strings.HasSuffix(s, "T") {
		return 0, fmt.Errorf("%q is not a duration such as PT45M", s)
	}
	var d time.Duration
	units := []time.Duration{7 * 24 * time.Hour, 24 * time.Hour, time.Hour, time.Minute, time.Second}
	for i, u := range units {
		if m[i+2] == "" {
			continue
		}
		n, err := strconv.Atoi(m[i+2])
		if err != nil || n > 1000000 {
			return 0, fmt.Errorf("%q is not a duration such as PT45M", s)
		}
		d += time.Duration(n) * u
	}
	if m[1] == "-" {
		d = -d
	}
	return d, nil
}
