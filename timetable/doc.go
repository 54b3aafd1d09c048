// Package timetable reads a conference schedule from the formats organizers
// already keep it in, into one neutral Schedule (rooms in order, sessions
// with the schedule's own ids, speakers, tracks) that package eventfile
// merges into an event (docs/API.md, "Schedules from where organizers keep
// them"):
//
//   - pretalx's schedule JSON (the frab-compatible JSON pretalx exports as
//     schedule/export/schedule.json, described by the c3voc schedule JSON
//     schema): ParsePretalx;
//   - the frab-compatible schedule.xml (frab, pretalx, pentabarf and many
//     others export it; the c3voc schedule.xml XSD describes it): ParseFrab;
//   - iCalendar (RFC 5545), one VEVENT a session: ParseICS, on
//     github.com/arran4/golang-ical.
//
// Every parser fails on the first problem with one *Error that names the
// file, the line where the format gives one, and the session or element
// ("event id=12 "Keynote""): a file that is not what it claims, truncated
// XML, a time without a zone, a session that ends before it starts, two
// sessions with one id, a file over MaxSize. A schedule that parses is
// complete: nothing is silently dropped but what the format itself marks as
// not a session (an all-day iCalendar event, an overridden occurrence).
//
// Choices made here:
//   - A session's id is the schedule's stable one: the guid where the
//     format has one (pretalx's uuid5 per talk, stable across exports),
//     else the numeric id (frab, pentabarf), else the iCalendar UID.
//   - A time without an offset is read in the conference's time_zone_name
//     when the schedule gives one; with neither it is an error (a guess
//     would move every talk by hours).
//   - Titles, speaker lists and room names longer than the event file
//     allows are cut with an ellipsis rather than refused: they are the
//     organizer's own text, and a 201-character title is not bad input.
//
// # Never
//
// This package never talks to Postgres or Redis and imports no package of
// ours; Fetch reads a URL only through the client it is given (the app
// passes the outbound client, package outbound).
package timetable
