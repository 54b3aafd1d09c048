package eventfile

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // time zone names validate the same on every machine
	"unicode"
	"unicode/utf8"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/schedule"
)

// Limits on free text, in characters.
const (
	maxSlug        = 64
	maxTitle       = 200
	maxDescription = 5000
	maxSpeaker     = 200
	maxRoom        = 100
	maxHashtag     = 100
	maxTrack       = 100
	maxTag         = 100
	maxTags        = 50
	maxScheduleID  = 200
)

// slugPattern matches the schema's CHECK constraint on slugs.
var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// hashtagPattern is a hashtag with or without its leading '#'.
var hashtagPattern = regexp.MustCompile(`^#?[\p{L}\p{N}_]+$`)

// ValidateSlug checks an event or session slug: 1–64 characters of a-z, 0-9
// and single hyphens between them.
func ValidateSlug(s string) error {
	switch {
	case s == "":
		return errors.New("is required")
	case len(s) > maxSlug:
		return fmt.Errorf("is %d characters long; at most %d", len(s), maxSlug)
	case !slugPattern.MatchString(s):
		return fmt.Errorf("%q must use only a-z, 0-9 and single hyphens between them (e.g. aea-boston-2026)", s)
	}
	return nil
}

// ValidateEvent checks an event's own fields (not its sessions or sources).
// Field names are the event file's: slug, title, timezone, starts_at, …
func ValidateEvent(ev *models.Event) *models.ValidationError {
	v := &models.ValidationError{}
	if err := ValidateSlug(ev.Slug); err != nil {
		v.Add("slug", "%s", err.Error())
	}
	checkText(v, "title", ev.Title, maxTitle, true, false)
	checkText(v, "description", ev.Description, maxDescription, false, true)
	if ev.Hashtag != "" && (utf8.RuneCountInString(ev.Hashtag) > maxHashtag || !hashtagPattern.MatchString(ev.Hashtag)) {
		v.Add("hashtag", "%q must be one word of letters, digits and underscores, like #aeaboston", ev.Hashtag)
	}
	switch ev.Timezone {
	case "":
		v.Add("timezone", "is required (an IANA name such as America/New_York or UTC)")
	case "Local":
		v.Add("timezone", "must be an IANA name such as America/New_York, not Local")
	default:
		if _, err := time.LoadLocation(ev.Timezone); err != nil {
			v.Add("timezone", "%q is not a known IANA time zone (e.g. America/New_York, Europe/Paris, UTC)", ev.Timezone)
		}
	}
	checkWindow(v, ev.StartsAt, ev.EndsAt)
	if !oneOf(ev.Posting, models.PostingOpen, models.PostingModerated, models.PostingClosed) {
		v.Add("posting", "%q must be open, moderated or closed", ev.Posting)
	}
	if !oneOf(ev.Moderation, models.ModerationAfter, models.ModerationBefore) {
		v.Add("moderation", "%q must be after or before", ev.Moderation)
	}
	return orNil(v)
}

// ValidateSession checks one session of ev against the event's window and
// against others, the event's other sessions (an entry with s's non-zero ID
// is s itself and is skipped): slugs are unique in the event, and sessions in
// the same room do not overlap. ev may be nil to check the session alone.
func ValidateSession(ev *models.Event, s *models.Session, others []models.Session) *models.ValidationError {
	v := &models.ValidationError{}
	if err := ValidateSlug(s.Slug); err != nil {
		v.Add("slug", "%s", err.Error())
	}
	checkText(v, "title", s.Title, maxTitle, true, false)
	checkText(v, "speaker", s.Speaker, maxSpeaker, false, false)
	checkText(v, "track", s.Track, maxTrack, false, false)
	checkText(v, "schedule_id", s.ScheduleID, maxScheduleID, false, false)
	checkTags(v, s.Tags)
	checkHandles(v, s.SpeakerHandles)
	okWindow := checkWindow(v, s.StartsAt, s.EndsAt)
	loc := time.UTC
	if ev != nil {
		loc = ev.Location()
		if okWindow && !ev.StartsAt.IsZero() && ev.EndsAt.After(ev.StartsAt) {
			if s.StartsAt.Before(ev.StartsAt) {
				v.Add("starts_at", "starts before the event does (%s)", ev.StartsAt.In(loc).Format(time.RFC3339))
			}
			if s.EndsAt.After(ev.EndsAt) {
				v.Add("ends_at", "ends after the event does (%s)", ev.EndsAt.In(loc).Format(time.RFC3339))
			}
		}
	}
	// One clash of each sort is enough to act on (and keeps a file of
	// identical sessions from producing n² messages).
	dupSlug, dupID, overlap := false, false, false
	for i := range others {
		o := &others[i]
		if s.ID != 0 && o.ID == s.ID {
			continue
		}
		if !dupSlug && s.Slug != "" && o.Slug == s.Slug {
			dupSlug = true
			v.Add("slug", "%q is already used by another session of this event", s.Slug)
		}
		if !dupID && s.ScheduleID != "" && o.ScheduleID == s.ScheduleID {
			dupID = true
			v.Add("schedule_id", "%q is already the schedule id of session %q", s.ScheduleID, o.Slug)
		}
		if overlap || !okWindow || !SameRoom(s, o) {
			continue
		}
		if s.StartsAt.Before(o.EndsAt) && o.StartsAt.Before(s.EndsAt) {
			overlap = true
			field := "ends_at"
			if !s.StartsAt.Before(o.StartsAt) {
				field = "starts_at"
			}
			v.Add(field, "overlaps session %q in room %q (%s–%s)", o.Slug, roomLabel(o),
				o.StartsAt.In(loc).Format("Jan 2 15:04"), o.EndsAt.In(loc).Format("15:04"))
		}
	}
	return orNil(v)
}

// SameRoom reports whether two sessions are in one room: the same room id
// when both are stored, else the same room slug. Sessions without a room
// are in none.
func SameRoom(a, b *models.Session) bool {
	if a.RoomID != nil && b.RoomID != nil {
		return *a.RoomID == *b.RoomID
	}
	return a.RoomSlug() != "" && a.RoomSlug() == b.RoomSlug()
}

func roomLabel(s *models.Session) string {
	if n := s.RoomName(); n != "" {
		return n
	}
	return s.RoomSlug()
}

// ValidateRoom checks a room: a slug and a name of at most 100 characters.
func ValidateRoom(r *models.Room) *models.ValidationError {
	v := &models.ValidationError{}
	if err := ValidateSlug(r.Slug); err != nil {
		v.Add("slug", "%s", err.Error())
	}
	checkText(v, "name", r.Name, maxRoom, true, false)
	return orNil(v)
}

// checkTags checks a session's tags: words or phrases (a leading # is
// allowed), at most 50 of at most 100 characters.
func checkTags(v *models.ValidationError, tags []string) {
	if len(tags) > maxTags {
		v.Add("tags", "has %d tags; at most %d", len(tags), maxTags)
		return
	}
	for _, t := range tags {
		w := strings.TrimPrefix(strings.TrimSpace(t), "#")
		if w == "" || !utf8.ValidString(t) || utf8.RuneCountInString(t) > maxTag || !strings.ContainsFunc(w, isWordRune) ||
			strings.ContainsFunc(t, unicode.IsControl) {
			v.Add("tags", "%q must be a word or phrase of at most %d characters, like aeakeynote or #aeakeynote", t, maxTag)
			return
		}
	}
}

// checkHandles checks speakers' handles: each network's own form
// (schedule.ParseHandle).
func checkHandles(v *models.ValidationError, handles []string) {
	if len(handles) > maxTags {
		v.Add("speaker_handles", "has %d handles; at most %d", len(handles), maxTags)
		return
	}
	for _, h := range handles {
		if _, err := schedule.ParseHandle(h); err != nil {
			v.Add("speaker_handles", "%s", err.Error())
			return
		}
	}
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// checkWindow checks a starts_at/ends_at pair and reports whether both are
// usable for further comparisons.
func checkWindow(v *models.ValidationError, start, end time.Time) bool {
	ok := true
	if start.IsZero() {
		v.Add("starts_at", "is required (an RFC 3339 time such as 2026-05-24T09:00:00-04:00)")
		ok = false
	}
	if end.IsZero() {
		v.Add("ends_at", "is required (an RFC 3339 time such as 2026-05-24T17:00:00-04:00)")
		ok = false
	}
	if !ok {
		return false
	}
	switch {
	case end.Before(start):
		v.Add("ends_at", "ends before it starts")
		return false
	case end.Equal(start):
		v.Add("ends_at", "ends when it starts; it needs some length")
		return false
	}
	return true
}

// checkText checks a free-text field: required or not, at most max
// characters, no control characters (newlines and tabs only if multiline).
func checkText(v *models.ValidationError, field, s string, max int, required, multiline bool) {
	if strings.TrimSpace(s) == "" {
		if required {
			v.Add(field, "is required")
		}
		return
	}
	if !utf8.ValidString(s) {
		v.Add(field, "is not valid UTF-8")
		return
	}
	if n := utf8.RuneCountInString(s); n > max {
		v.Add(field, "is %d characters long; at most %d", n, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			v.Add(field, "contains a control character (%U)", r)
			return
		}
	}
}

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}

// orNil returns v when it holds any field error, or nil (callers compare the
// pointer, never a typed nil inside an error).
func orNil(v *models.ValidationError) *models.ValidationError {
	if v == nil || len(v.Fields) == 0 {
		return nil
	}
	return v
}
