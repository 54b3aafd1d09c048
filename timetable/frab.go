package timetable

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// The frab-compatible schedule.xml, as the c3voc schedule.xml XSD
// (voc/schedule, validator/xsd/schedule.xml.xsd) describes it and frab,
// pretalx (src/pretalx/agenda/templates/agenda/schedule.xml) and pentabarf
// write it:
//
//	<schedule>
//	  <version>…</version>
//	  <conference><title/><acronym/><start/><end/><days/>
//	    <timeslot_duration/><time_zone_name/></conference>
//	  <day index="1" date="2026-05-24" start="…" end="…">
//	    <room name="Room A" guid="…">
//	      <event guid="…" id="123">
//	        <date>2026-05-24T09:00:00+02:00</date> <start>09:00</start>
//	        <duration>00:45</duration> <room>Room A</room> <title/>
//	        <track/> <persons><person id="7">Ana</person></persons> …
//
// The XSD makes an event's id required and unique, guid optional; <date>
// (a full dateTime) is newer than pentabarf, whose events have only the
// day's date and a local <start>, read in the conference's time_zone_name.
type frabConference struct {
	Title        string `xml:"title"`
	TimeZoneName string `xml:"time_zone_name"`
}

type frabEvent struct {
	GUID     string `xml:"guid,attr"`
	ID       string `xml:"id,attr"`
	Date     string `xml:"date"`
	Start    string `xml:"start"`
	Duration string `xml:"duration"`
	Room     string `xml:"room"`
	Title    string `xml:"title"`
	Track    string `xml:"track"`
	Persons  []struct {
		Name string `xml:",chardata"`
	} `xml:"persons>person"`
}

// ParseFrab reads a frab-compatible schedule.xml.
func ParseFrab(name string, data []byte) (*Schedule, error) {
	fail := func(line int, where, format string, args ...any) error {
		return &Error{File: name, Line: line, Where: where, Message: fmt.Sprintf(format, args...)}
	}
	if k := sniff(data); !strings.HasPrefix(k, "XML") {
		return nil, fail(1, "", "is %s, not a frab schedule.xml", k)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	syntax := func(err error) error {
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			if strings.Contains(se.Msg, "unexpected EOF") {
				return fail(se.Line, "", "the XML ends early (line %d): the file is truncated", se.Line)
			}
			return fail(se.Line, "", "is not well-formed XML: %s", se.Msg)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fail(lineAt(data, int64(len(data))), "", "the XML ends early: the file is truncated")
		}
		return fail(0, "", "is not readable XML: %v", err)
	}
	s := &Schedule{Format: FormatFrab}
	var zone *time.Location
	var day, room string
	depth, seenRoot, rootClosed := 0, false, false
	for {
		line, _ := d.InputPos()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, syntax(err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				if el.Name.Local != "schedule" {
					return nil, fail(line, "", "is XML but not a frab schedule.xml: its root element is <%s>, not <schedule>", el.Name.Local)
				}
				seenRoot = true
				continue
			}
			switch el.Name.Local {
			case "conference":
				if depth != 2 {
					continue
				}
				var c frabConference
				if err := d.DecodeElement(&c, &el); err != nil {
					return nil, syntax(err)
				}
				depth--
				s.Title, s.TimeZone = strings.TrimSpace(c.Title), strings.TrimSpace(c.TimeZoneName)
				if zone, err = zoneOf(c.TimeZoneName); err != nil {
					return nil, fail(line, "<conference>", "%v", err)
				}
			case "day":
				day = attr(el, "date")
			case "room":
				if depth == 3 { // <day><room name=…>
					room = attr(el, "name")
					if room != "" && !contains(s.Rooms, room) {
						s.Rooms = append(s.Rooms, room)
					}
				}
			case "event":
				var ev frabEvent
				if err := d.DecodeElement(&ev, &el); err != nil {
					return nil, syntax(err)
				}
				depth--
				where := "<event"
				if ev.ID != "" {
					where += fmt.Sprintf(" id=%q", ev.ID)
				}
				where += ">"
				if t := strings.TrimSpace(ev.Title); t != "" {
					where += fmt.Sprintf(" %q", t)
				}
				ss, err := ev.session(room, day, zone)
				if err != nil {
					return nil, fail(line, where, "%v", err)
				}
				ss.Where, ss.Line = where, line
				s.Sessions = append(s.Sessions, ss)
			}
		case xml.EndElement:
			depth--
			if depth == 0 {
				rootClosed = true
			}
			switch el.Name.Local {
			case "room":
				if depth == 2 {
					room = ""
				}
			case "day":
				day = ""
			}
		}
	}
	if !seenRoot {
		return nil, fail(1, "", "has no XML element: not a frab schedule.xml")
	}
	if !rootClosed {
		return nil, fail(lineAt(data, int64(len(data))), "", "the XML ends early: the file is truncated")
	}
	if err := s.finish(name); err != nil {
		return nil, err
	}
	return s, nil
}

func (ev *frabEvent) session(room, day string, zone *time.Location) (Session, error) {
	ss := Session{Title: ev.Title, Track: ev.Track, Room: room}
	if r := strings.TrimSpace(ev.Room); r != "" {
		ss.Room = r
	}
	ss.ID = strings.TrimSpace(ev.GUID)
	if ss.ID == "" {
		ss.ID = strings.TrimSpace(ev.ID)
	}
	for _, p := range ev.Persons {
		ss.Speakers = append(ss.Speakers, p.Name)
	}
	var err error
	switch {
	case strings.TrimSpace(ev.Date) != "":
		ss.Start, err = parseStart(ev.Date, zone)
	case day != "" && strings.TrimSpace(ev.Start) != "":
		ss.Start, err = parseStart(day+"T"+strings.TrimSpace(ev.Start), zone)
	default:
		err = errors.New("has neither a <date> nor a <start> within a dated <day>")
	}
	if err != nil {
		return ss, err
	}
	dur, err := parseDuration(ev.Duration)
	if err != nil {
		return ss, err
	}
	ss.End = ss.Start.Add(dur)
	return ss, nil
}

func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
