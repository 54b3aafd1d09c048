package timetable

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The schedule JSON pretalx exports (schedule/export/schedule.json): the
// frab-compatible JSON described by the c3voc schedule JSON schema
// (https://c3voc.de/schedule/schema.json), written by pretalx's
// FrabJsonExporter (src/pretalx/schedule/exporters.py). Only the fields
// an event needs are read; the rest (abstracts, links, answers) is ignored.
type pretalxFile struct {
	Schedule *struct {
		Version    string `json:"version"`
		Conference *struct {
			Acronym      string `json:"acronym"`
			Title        string `json:"title"`
			TimeZoneName string `json:"time_zone_name"`
			// Rooms lists the event's rooms in pretalx's order (the days'
			// room maps below lose JSON's order).
			Rooms []struct {
				Name string `json:"name"`
			} `json:"rooms"`
			Days []struct {
				Index int    `json:"index"`
				Date  string `json:"date"`
				// Rooms maps a room's name to its talks of the day.
				Rooms map[string][]pretalxTalk `json:"rooms"`
			} `json:"days"`
		} `json:"conference"`
	} `json:"schedule"`
}

type pretalxTalk struct {
	GUID string `json:"guid"`
	// ID is the submission's numeric id (frab's JSON has it too).
	ID       json.Number `json:"id"`
	Code     string      `json:"code"`
	Date     string      `json:"date"`     // ISO 8601 with the event's offset
	Start    string      `json:"start"`    // "HH:MM", local
	Duration string      `json:"duration"` // "HH:MM"
	Room     string      `json:"room"`
	Title    string      `json:"title"`
	// Track is the track's name, or null.
	Track   *string `json:"track"`
	Persons []struct {
		Name string `json:"name"`
		// PublicName is frab's (and pretalx's deprecated) name field.
		PublicName string `json:"public_name"`
	} `json:"persons"`
}

// ParsePretalx reads a pretalx (or frab) schedule JSON.
func ParsePretalx(name string, data []byte) (*Schedule, error) {
	fail := func(line int, where, format string, args ...any) error {
		return &Error{File: name, Line: line, Where: where, Message: fmt.Sprintf(format, args...)}
	}
	if k := sniff(data); !strings.HasPrefix(k, "JSON") {
		return nil, fail(1, "", "is %s, not a pretalx schedule JSON", k)
	}
	var f pretalxFile
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	if err := dec.Decode(&f); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return nil, fail(lineAt(data, syn.Offset), "", "is not valid JSON: %v", syn)
		case errors.As(err, &typ):
			return nil, fail(lineAt(data, typ.Offset), typ.Field, "is a JSON %s; the schedule format wants a %s", typ.Value, jsonKind(typ.Type.Kind().String()))
		case err.Error() == "unexpected EOF":
			return nil, fail(lineAt(data, int64(len(data))), "", "the JSON ends early: the file is truncated")
		}
		return nil, fail(0, "", "is not a schedule JSON: %v", err)
	}
	if f.Schedule == nil || f.Schedule.Conference == nil {
		return nil, fail(1, "", "is JSON but not a pretalx schedule: it has no schedule.conference")
	}
	conf := f.Schedule.Conference
	zone, err := zoneOf(conf.TimeZoneName)
	if err != nil {
		return nil, fail(0, "schedule.conference", "%v", err)
	}
	s := &Schedule{Format: FormatPretalx, Title: conf.Title, TimeZone: conf.TimeZoneName}
	for _, r := range conf.Rooms {
		s.Rooms = append(s.Rooms, r.Name)
	}
	for di, day := range conf.Days {
		// A day's rooms in the conference's order, then any it does not list.
		names := make([]string, 0, len(day.Rooms))
		for n := range day.Rooms {
			names = append(names, n)
		}
		order := map[string]int{}
		for i, r := range s.Rooms {
			order[r] = i + 1
		}
		sort.Slice(names, func(i, j int) bool {
			oi, oj := order[names[i]], order[names[j]]
			if (oi == 0) != (oj == 0) {
				return oi != 0
			}
			if oi != oj {
				return oi < oj
			}
			return names[i] < names[j]
		})
		for _, room := range names {
			for ti, t := range day.Rooms[room] {
				where := fmt.Sprintf("schedule.conference.days[%d].rooms[%q][%d]", di, room, ti)
				if t.Title != "" {
					where += fmt.Sprintf(" %q", t.Title)
				}
				ss, err := t.session(room, zone, day.Date)
				if err != nil {
					return nil, fail(0, where, "%v", err)
				}
				ss.Where = where
				s.Sessions = append(s.Sessions, ss)
			}
		}
	}
	if err := s.finish(name); err != nil {
		return nil, err
	}
	return s, nil
}

func (t *pretalxTalk) session(room string, zone *time.Location, dayDate string) (Session, error) {
	ss := Session{Title: t.Title, Room: room}
	if t.Room != "" {
		ss.Room = t.Room
	}
	switch {
	case t.GUID != "":
		ss.ID = t.GUID
	case t.ID != "":
		ss.ID = t.ID.String()
	default:
		ss.ID = t.Code
	}
	if t.Track != nil {
		ss.Track = *t.Track
	}
	for _, p := range t.Persons {
		n := p.Name
		if n == "" {
			n = p.PublicName
		}
		ss.Speakers = append(ss.Speakers, n)
	}
	var err error
	switch {
	case t.Date != "":
		ss.Start, err = parseStart(t.Date, zone)
	case dayDate != "" && t.Start != "":
		ss.Start, err = parseStart(dayDate+"T"+t.Start, zone)
	default:
		err = fmt.Errorf("has no date")
	}
	if err != nil {
		return ss, err
	}
	d, err := parseDuration(t.Duration)
	if err != nil {
		return ss, err
	}
	ss.End = ss.Start.Add(d)
	return ss, nil
}

func jsonKind(k string) string {
	switch k {
	case "struct", "map":
		return "object"
	case "slice":
		return "list"
	case "ptr":
		return "object or null"
	}
	if _, err := strconv.Atoi(k); err == nil {
		return "number"
	}
	return k
}
