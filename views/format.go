package views

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// RelativeTime says how long before now t was, in a few words ("just now",
// "5 min ago", "3 h ago", "2 d ago"), or its date when older than a week.
// live.js computes the same strings in the browser.
func RelativeTime(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 45*time.Second:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", max(1, int(d.Round(time.Minute)/time.Minute)))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	case d < 7*24*time.Hour:
		return fmt.Sprintf("%d d ago", int(d/(24*time.Hour)))
	default:
		return t.Format("Jan 2, 2006")
	}
}

// ClockTime is a time of day in t's own location, 24-hour ("09:05"); when t
// falls on another day than now (in the same location) the date is added.
func ClockTime(t, now time.Time) string {
	n := now.In(t.Location())
	if t.Year() == n.Year() && t.YearDay() == n.YearDay() {
		return t.Format("15:04")
	}
	return t.Format("Jan 2, 15:04")
}

// FullTime is the precise, unambiguous form used in tooltips.
func FullTime(t time.Time) string { return t.Format("Mon Jan 2, 2006 15:04:05 MST") }

// ISOTime is the machine-readable form for <time datetime>.
func ISOTime(t time.Time) string { return t.Format(time.RFC3339) }

// DateRange formats an event's span in its own time zone, as short as stays
// unambiguous: "May 24, 2026, 09:00–17:00", "May 24–26, 2026",
// "May 30 – Jun 2, 2026", "Dec 30, 2026 – Jan 2, 2027". Both times must be in
// the event's location.
func DateRange(start, end time.Time) string {
	// An end at midnight belongs to the day before ("until the 26th").
	last := end
	if end.After(start) && end.Hour() == 0 && end.Minute() == 0 {
		last = end.Add(-time.Nanosecond)
	}
	switch {
	case start.Year() == last.Year() && start.YearDay() == last.YearDay():
		return start.Format("Jan 2, 2006, 15:04") + "–" + end.Format("15:04")
	case start.Year() == last.Year() && start.Month() == last.Month():
		return start.Format("Jan 2") + "–" + last.Format("2, 2006")
	case start.Year() == last.Year():
		return start.Format("Jan 2") + " – " + last.Format("Jan 2, 2006")
	default:
		return start.Format("Jan 2, 2006") + " – " + last.Format("Jan 2, 2006")
	}
}

// TimeSpan is a session's "09:00–10:00" in its event's time zone.
func TimeSpan(start, end time.Time) string {
	return start.Format("15:04") + "–" + end.Format("15:04")
}

// SafeHTTPURL returns u when it is an absolute http or https URL with a host,
// and "" otherwise: javascript:, data:, relative and malformed URLs never
// reach an src or href.
func SafeHTTPURL(u string) string {
	u = strings.TrimSpace(u)
	if u == "" {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || p.Opaque != "" {
		return ""
	}
	switch strings.ToLower(p.Scheme) {
	case "http", "https":
		return p.String()
	}
	return ""
}

// sourceLabels names each source kind as a reader knows it.
func sourceLabel(source string) string {
	switch source {
	case "mastodon":
		return "Mastodon"
	case "bluesky":
		return "Bluesky"
	case "x":
		return "X"
	case "flickr":
		return "Flickr"
	case "feed":
		return "Blog"
	case "room":
		return "In the room"
	case "replay":
		return "Demo"
	case "":
		return "Unknown"
	}
	return strings.ToUpper(source[:1]) + source[1:]
}

// initial is the first letter of a name, upper-cased, for avatar fallbacks.
func initial(name string) string {
	for _, r := range strings.TrimSpace(name) {
		return strings.ToUpper(string(r))
	}
	return "?"
}
