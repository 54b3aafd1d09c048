package timetable

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // zone names resolve the same on every machine
	"unicode/utf8"
)

// MaxSize bounds a schedule file or download. The largest real schedules
// (a four-day congress with several hundred talks, abstracts included) are
// a few megabytes.
const MaxSize = 16 << 20

// Formats a schedule can be read from, as `event import --format` names them.
const (
	FormatPretalx = "pretalx"
	FormatFrab    = "frab"
	FormatICS     = "ics"
)

// Formats lists the formats Parse reads.
func Formats() []string { return []string{FormatPretalx, FormatFrab, FormatICS} }

// Limits the event file puts on text (eventfile's maxTitle, maxSpeaker,
// maxRoom, maxTrack, maxScheduleID), applied here by cutting.
const (
	maxTitle      = 200
	maxSpeaker    = 200
	maxRoom       = 100
	maxTrack      = 100
	maxScheduleID = 200
)

// Schedule is one conference schedule as read from a file.
type Schedule struct {
	// Format is the format it was read from (FormatPretalx, ...).
	Format string
	// Title is the conference's title ("" when the format has none).
	Title string
	// TimeZone is the conference's time zone name, when given.
	TimeZone string
	// Rooms are the rooms' names in the schedule's order, each once.
	Rooms []string
	// Sessions in the file's order.
	Sessions []Session
}

// Session is one talk or slot of a schedule.
type Session struct {
	// ID is the schedule's own stable id (see the package doc).
	ID       string
	Title    string
	Room     string // a name from Schedule.Rooms, or ""
	Track    string
	Speakers []string
	Start    time.Time
	End      time.Time
	// Where names the session in error messages ("event id=12 "Keynote"").
	Where string
	// Line is the session's line in the file (0 when the format gives none).
	Line int
}

// Speaker is the session's speakers as the event's one speaker field
// holds them: names joined by ", ", cut to the field's length.
func (s *Session) Speaker() string { return cut(strings.Join(s.Speakers, ", "), maxSpeaker) }

// Error is a schedule that cannot be read: one message naming the place.
type Error struct {
	File    string // the file name or URL
	Line    int    // 0 when unknown
	Where   string // the session or element, "" for the whole file
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Where != "" {
		b.WriteString(e.Where)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Parse reads data (named name in errors) in the given format.
func Parse(format, name string, data []byte) (*Schedule, error) {
	if len(data) > MaxSize {
		return nil, &Error{File: name, Message: fmt.Sprintf("the file is %s; a schedule may be at most %s", size(int64(len(data))), size(MaxSize))}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{File: name, Message: "the file is empty"}
	}
	if !utf8.Valid(data) {
		return nil, &Error{File: name, Line: badUTF8Line(data), Message: "is not valid UTF-8"}
	}
	var s *Schedule
	var err error
	switch format {
	case FormatPretalx:
		s, err = ParsePretalx(name, data)
	case FormatFrab:
		s, err = ParseFrab(name, data)
	case FormatICS:
		s, err = ParseICS(name, data)
	default:
		return nil, &Error{File: name, Message: fmt.Sprintf("unknown format %q: want pretalx, frab or ics", format)}
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// sniff names what data looks like when it is not the format asked for,
// so the message can say which format to use instead.
func sniff(data []byte) string {
	t := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case bytes.HasPrefix(t, []byte("<")):
		if bytes.Contains(bytes.ToLower(t[:min(len(t), 512)]), []byte("<html")) ||
			bytes.HasPrefix(bytes.ToLower(t), []byte("<!doctype html")) {
			return "an HTML page"
		}
		return "XML (for a frab schedule.xml use --format frab)"
	case bytes.HasPrefix(t, []byte("{")) || bytes.HasPrefix(t, []byte("[")):
		return "JSON (for a pretalx schedule.json use --format pretalx)"
	case len(t) >= 15 && strings.EqualFold(string(t[:15]), "BEGIN:VCALENDAR"):
		return "an iCalendar file (use --format ics)"
	}
	return "not a schedule"
}

// finish checks what every format must hold and fills the room list: ids
// present and unique, titles present, times with a zone, each session
// ending after it starts.
func (s *Schedule) finish(name string) error {
	seen := map[string]*Session{}
	rooms := map[string]bool{}
	for _, r := range s.Rooms {
		rooms[r] = true
	}
	for i := range s.Sessions {
		ss := &s.Sessions[i]
		fail := func(format string, args ...any) error {
			return &Error{File: name, Line: ss.Line, Where: ss.Where, Message: fmt.Sprintf(format, args...)}
		}
		ss.ID = strings.TrimSpace(ss.ID)
		ss.Title = cut(strings.TrimSpace(ss.Title), maxTitle)
		ss.Room = cut(strings.TrimSpace(ss.Room), maxRoom)
		ss.Track = cut(strings.TrimSpace(ss.Track), maxTrack)
		switch {
		case ss.ID == "":
			return fail("has no id, so a later import could not find it again")
		case utf8.RuneCountInString(ss.ID) > maxScheduleID:
			return fail("its id is %d characters long; at most %d", utf8.RuneCountInString(ss.ID), maxScheduleID)
		case ss.Title == "":
			return fail("has no title")
		case ss.Start.IsZero() || ss.End.IsZero():
			return fail("has no start or end time")
		case ss.End.Before(ss.Start):
			return fail("ends (%s) before it starts (%s)", ss.End.Format(time.RFC3339), ss.Start.Format(time.RFC3339))
		case ss.End.Equal(ss.Start):
			return fail("ends when it starts (%s); a session needs some length", ss.Start.Format(time.RFC3339))
		}
		if prev, dup := seen[ss.ID]; dup {
			at := prev.Where
			if prev.Line > 0 {
				at = fmt.Sprintf("%s (line %d)", prev.Where, prev.Line)
			}
			return fail("has the id %q, as %s does: every session needs its own", ss.ID, at)
		}
		seen[ss.ID] = ss
		var speakers []string
		for _, p := range ss.Speakers {
			if p = strings.TrimSpace(p); p != "" {
				speakers = append(speakers, p)
			}
		}
		ss.Speakers = speakers
		if ss.Room != "" && !rooms[ss.Room] {
			rooms[ss.Room] = true
			s.Rooms = append(s.Rooms, ss.Room)
		}
	}
	// Rooms no session uses are left out: an event's rooms are where its
	// talks happen.
	used := map[string]bool{}
	for _, ss := range s.Sessions {
		used[ss.Room] = true
	}
	kept := s.Rooms[:0]
	for _, r := range s.Rooms {
		if r = cut(strings.TrimSpace(r), maxRoom); r != "" && used[r] {
			kept = append(kept, r)
		}
	}
	s.Rooms = kept
	return nil
}

// parseDuration reads a frab duration: "HH:MM" or "HH:MM:SS" (hours may
// be one digit or more than 24: a "hack day" slot).
func parseDuration(s string) (time.Duration, error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, fmt.Errorf("duration %q is not HH:MM", s)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || p == "" || strings.Trim(p, "0123456789") != "" || (i > 0 && v > 59) {
			return 0, fmt.Errorf("duration %q is not HH:MM", s)
		}
		n[i] = v
	}
	return time.Duration(n[0])*time.Hour + time.Duration(n[1])*time.Minute + time.Duration(n[2])*time.Second, nil
}

// parseStart reads a session's start: an RFC 3339 time, or one without an
// offset read in zone (nil: no zone to read it in, an error).
func parseStart(s string, zone *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			if zone == nil {
				return time.Time{}, fmt.Errorf("time %q has no zone (no UTC offset, and the schedule names no time_zone_name)", s)
			}
			return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, zone), nil
		}
	}
	return time.Time{}, fmt.Errorf("time %q is not a date and time such as 2026-05-24T09:00:00+02:00", s)
}

// zoneOf loads a conference's time_zone_name ("" gives nil).
func zoneOf(name string) (*time.Location, error) {
	if name = strings.TrimSpace(name); name == "" {
		return nil, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time_zone_name %q is not a time zone name (such as Europe/Berlin)", name)
	}
	return loc, nil
}

// cut shortens s to max characters, ending in an ellipsis when cut.
func cut(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:max-1])) + "…"
}

func size(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d bytes", n)
}

func badUTF8Line(data []byte) int {
	line := 1
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		if r == utf8.RuneError && n <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		data = data[n:]
	}
	return line
}

// lineAt is the 1-based line of a byte offset.
func lineAt(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	if offset < 0 {
		offset = 0
	}
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

// Fetch downloads a schedule with client (the outbound client: an
// organizer's URL must not reach the operator's network), reading at most
// MaxSize bytes. Errors are *Error naming the URL.
func Fetch(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	fail := func(format string, args ...any) error {
		return &Error{File: url, Message: fmt.Sprintf(format, args...)}
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fail("is not a URL to fetch: %v", err)
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return nil, fail("is not an http(s) URL")
	}
	req.Header.Set("Accept", "application/json, text/xml, application/xml, text/calendar;q=0.9, */*;q=0.1")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fail("could not be fetched: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fail("answered %s", resp.Status)
	}
	if resp.ContentLength > MaxSize {
		return nil, fail("is %s; a schedule may be at most %s", size(resp.ContentLength), size(MaxSize))
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxSize+1))
	if err != nil {
		return nil, fail("could not be read: %v", err)
	}
	if len(data) > MaxSize {
		return nil, fail("is over %s; a schedule may be at most %s", size(MaxSize), size(MaxSize))
	}
	return data, nil
}

// ReadFile reads a schedule file of at most MaxSize bytes; a larger one
// is refused by its size, unread. Errors are *Error naming path.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Message: "cannot be opened: " + strings.TrimPrefix(err.Error(), "open "+path+": ")}
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > MaxSize {
		return nil, &Error{File: path, Message: fmt.Sprintf("the file is %s; a schedule may be at most %s", size(fi.Size()), size(MaxSize))}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, &Error{File: path, Message: "cannot be read: " + err.Error()}
	}
	return data, nil
}
