package eventfile

import (
	"testing"
	"time"

	"github.com/backchannel/backchannel/models"
)

func TestValidateSlug(t *testing.T) {
	for s, ok := range map[string]bool{
		"a": true, "aea-boston-2026": true, "2026": true,
		"": false, "-a": false, "a-": false, "a--b": false, "A": false, "a_b": false, "a b": false, "é": false,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa":  true,  // 64
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": false, // 65
	} {
		if err := ValidateSlug(s); (err == nil) != ok {
			t.Errorf("ValidateSlug(%q) = %v, want ok=%v", s, err, ok)
		}
	}
}

func testEvent() *models.Event {
	return &models.Event{Slug: "ev", Title: "Ev", Timezone: "Europe/Paris", Posting: "open", Moderation: "after",
		StartsAt: time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC), EndsAt: time.Date(2026, 6, 2, 18, 0, 0, 0, time.UTC)}
}

func TestValidateEventAcceptsAFormsEvent(t *testing.T) {
	if verr := ValidateEvent(testEvent()); verr != nil {
		t.Errorf("ValidateEvent = %v", verr)
	}
	ev := testEvent()
	ev.Timezone, ev.Posting, ev.Title = "Local", "", " "
	verr := ValidateEvent(ev)
	if verr == nil || !hasFieldError(verr, "timezone", "not Local") || !hasFieldError(verr, "posting", "open, moderated or closed") ||
		!hasFieldError(verr, "title", "is required") {
		t.Errorf("ValidateEvent = %v", verr)
	}
}

func TestValidateSessionChecksAgainstTheOtherSessions(t *testing.T) {
	ev := testEvent()
	at := func(h, m int) time.Time { return time.Date(2026, 6, 1, h, m, 0, 0, time.UTC) }
	hall, roomB := &models.Room{Slug: "main-hall", Name: "Main Hall"}, &models.Room{Slug: "room-b", Name: "Room B"}
	others := []models.Session{
		{ID: 1, Slug: "keynote", Title: "K", Room: hall, StartsAt: at(7, 0), EndsAt: at(8, 0)},
		{ID: 2, Slug: "other-room", Title: "O", Room: roomB, StartsAt: at(7, 0), EndsAt: at(9, 0)},
	}
	// Editing the keynote itself (same ID) is not a clash with itself.
	if verr := ValidateSession(ev, &others[0], others); verr != nil {
		t.Errorf("editing a session clashes with itself: %v", verr)
	}
	s := &models.Session{Slug: "talk", Title: "T", Room: hall, StartsAt: at(7, 30), EndsAt: at(8, 30)}
	verr := ValidateSession(ev, s, others)
	if verr == nil || len(verr.Fields) != 1 || !hasFieldError(verr, "starts_at", `overlaps session "keynote" in room "Main Hall" (Jun 1 09:00–10:00)`) {
		t.Errorf("overlap = %v", verr)
	}
	s = &models.Session{Slug: "talk", Title: "T", Room: hall, StartsAt: at(8, 0), EndsAt: at(9, 0)}
	if verr := ValidateSession(ev, s, others); verr != nil {
		t.Errorf("back-to-back sessions clash: %v", verr)
	}
	s = &models.Session{Slug: "talk", Title: "T", StartsAt: at(7, 0), EndsAt: at(8, 0)}
	if verr := ValidateSession(ev, s, others); verr != nil {
		t.Errorf("a session without a room clashes: %v", verr)
	}
	s = &models.Session{Slug: "other-room", Title: "T", StartsAt: at(5, 0), EndsAt: at(5, 30)}
	verr = ValidateSession(ev, s, others)
	if verr == nil || !hasFieldError(verr, "slug", "already used") || !hasFieldError(verr, "starts_at", "starts before the event") {
		t.Errorf("duplicate slug outside the event = %v", verr)
	}
}
