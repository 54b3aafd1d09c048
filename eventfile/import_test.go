package eventfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/timetable"
)

// webconfYAML is the event the timetable fixtures describe, with one
// session typed by hand before the import (its tags must survive).
const webconfYAML = `slug: webconf
title: WebConf 2026
timezone: Europe/Berlin
starts_at: 2026-05-24T08:00:00+02:00
ends_at: 2026-05-25T18:00:00+02:00
sessions:
  - slug: opening-keynote
    title: Opening
    tags: ["keynote26"]
    speaker_handles: ["@ana@example.social"]
    starts_at: 2026-05-24T09:00:00+02:00
    ends_at: 2026-05-24T09:30:00+02:00
`

func scheduleFixture(t *testing.T, format, name string) *timetable.Schedule {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "timetable", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s, err := timetable.Parse(format, name, data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func importSchedule(t *testing.T, db *gorm.DB, s *timetable.Schedule, dry bool) *ImportResult {
	t.Helper()
	res, err := ImportSchedule(context.Background(), db, "webconf", s, ImportOptions{
		Actor: store.Actor{Name: "admin:ana@example.org", UserID: 0}, DryRun: dry, Source: "schedule.json"})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return res
}

func sessionsBySlug(t *testing.T, db *gorm.DB) map[string]models.Session {
	t.Helper()
	ev, err := store.New(db).EventBySlug(context.Background(), "webconf")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]models.Session{}
	for _, s := range ev.Sessions {
		out[s.Slug] = s
	}
	return out
}

func TestADryRunShowsTheImportAndChangesNothing(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	mustApply(t, db, "webconf.yaml", []byte(webconfYAML))
	before := rowCounts(t, db)
	res := importSchedule(t, db, scheduleFixture(t, timetable.FormatPretalx, "pretalx-schedule.json"), true)
	if after := rowCounts(t, db); after["sessions"] != before["sessions"] || after["audit_log"] != before["audit_log"] {
		t.Errorf("a dry run wrote: %v → %v", before, after)
	}
	sum := res.Summary()
	for _, want := range []string{
		"would import 5 sessions in 3 rooms with 6 speakers (6 new) from the pretalx schedule",
		"would create room main-hall", "would create room room-b", "would create room room-c",
		"would update session opening-keynote (title, speaker, room, track, schedule_id, ends_at)",
		"would create session css-layout-today", "would create session rust-for-web-developers",
		"would create session accessible-forms", "would create session closing-panel",
		"new speakers: Ana Lima, Jen Simmons, Léa Dupont, Marta Nowak, Pat Doe, Sam Okoro",
	} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary does not say %q:\n%s", want, sum)
		}
	}
}

func TestImportCreatesRoomsAndSessionsKeepsHandMadeTagsAndIsAuditedWithItsUser(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	mustApply(t, db, "webconf.yaml", []byte(webconfYAML))
	auditBefore := len(auditRows(t, db))
	res := importSchedule(t, db, scheduleFixture(t, timetable.FormatPretalx, "pretalx-schedule.json"), false)
	if !res.SessionsChanged() || len(res.Created()) != 7 || len(res.Updated()) != 1 || len(res.Deleted()) != 0 {
		t.Fatalf("result:\n%s", res.Summary())
	}
	got := sessionsBySlug(t, db)
	if len(got) != 5 {
		t.Fatalf("sessions: %v", got)
	}
	k := got["opening-keynote"]
	if k.Title != "Opening Keynote" || k.Speaker != "Ana Lima" || k.RoomSlug() != "main-hall" || k.Track != "Keynotes" ||
		k.ScheduleID != "6a1c2b3d-0000-5000-8000-000000000101" || strings.Join(k.Tags, ",") != "keynote26" ||
		strings.Join(k.SpeakerHandles, ",") != "@ana@example.social" || k.EndsAt.Sub(k.StartsAt) != 45*time.Minute {
		t.Errorf("the hand-made session, adopted = %+v", k)
	}
	r := got["rust-for-web-developers"]
	if r.RoomSlug() != "room-b" || r.Speaker != "Marta Nowak, Pat Doe" || r.Track != "Backend" {
		t.Errorf("rust = %+v", r)
	}
	rows := auditRows(t, db)[auditBefore:]
	if len(rows) != 9 { // 3 rooms, 4 sessions created, 1 updated, the import itself
		t.Fatalf("%d audit rows, want 9", len(rows))
	}
	for _, row := range rows {
		if row.Actor != "admin:ana@example.org" {
			t.Errorf("audit row by %q: %+v", row.Actor, row)
		}
	}
	last := rows[len(rows)-1]
	if last.Action != "import" || !strings.Contains(last.Message, "imported the pretalx schedule from schedule.json: 7 created, 1 updated, 0 deleted") {
		t.Errorf("import row = %+v", last)
	}
	if !strings.Contains(rows[0].Message, "created by schedule import (pretalx)") {
		t.Errorf("first row = %+v", rows[0])
	}
}

func TestReimportingTheSameScheduleInAnyFormatOfTheSameIdsChangesNothing(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	mustApply(t, db, "webconf.yaml", []byte(webconfYAML))
	importSchedule(t, db, scheduleFixture(t, timetable.FormatPretalx, "pretalx-schedule.json"), false)
	before := rowCounts(t, db)
	var updated time.Time
	db.Table("sessions").Select("max(updated_at)").Scan(&updated)
	for _, c := range []struct{ format, file string }{
		{timetable.FormatPretalx, "pretalx-schedule.json"},
		{timetable.FormatFrab, "frab-schedule.xml"}, // pretalx's XML carries the same guids
	} {
		res := importSchedule(t, db, scheduleFixture(t, c.format, c.file), false)
		if res.Changed() {
			t.Errorf("re-import of %s changed:\n%s", c.file, res.Summary())
		}
	}
	if after := rowCounts(t, db); after["audit_log"] != before["audit_log"] || after["sessions"] != before["sessions"] {
		t.Errorf("re-imports wrote: %v → %v", before, after)
	}
	var updated2 time.Time
	db.Table("sessions").Select("max(updated_at)").Scan(&updated2)
	if !updated2.Equal(updated) {
		t.Errorf("sessions were written: updated_at %v → %v", updated, updated2)
	}
	// The event exported and applied back is a no-op too (the imported
	// sessions round-trip through the event file).
	f, err := Load(context.Background(), db, "webconf")
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if res := mustApply(t, db, "webconf.yaml", out); res.Changed() {
		t.Errorf("export → apply changed:\n%s", res.Summary())
	}
}

func TestAResyncKeepsSlugsByScheduleIDAndRemovesOnlyWhatTheScheduleDropped(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	mustApply(t, db, "webconf.yaml", []byte(webconfYAML+`  - slug: lunch
    title: Lunch
    starts_at: 2026-05-24T12:00:00+02:00
    ends_at: 2026-05-24T13:00:00+02:00
`))
	s := scheduleFixture(t, timetable.FormatPretalx, "pretalx-schedule.json")
	importSchedule(t, db, s, false)
	ids := map[string]int64{}
	for slug, ss := range sessionsBySlug(t, db) {
		ids[slug] = ss.ID
	}
	// The organizer renames a talk, moves another to Room C, drops the
	// panel and adds a talk whose title another session's slug has.
	s.Sessions[1].Title = "CSS Layout in 2026"
	s.Sessions[2].Room, s.Sessions[2].Start, s.Sessions[2].End = "Room C", s.Sessions[2].Start.Add(time.Hour), s.Sessions[2].End.Add(time.Hour)
	added := s.Sessions[4]
	s.Sessions = s.Sessions[:4]
	added.ID, added.Title, added.Speakers = "new-guid", "Rust for web developers", []string{"Kim"}
	added.Start, added.End = added.Start.Add(-time.Hour), added.End.Add(-time.Hour)
	s.Sessions = append(s.Sessions, added)
	res := importSchedule(t, db, s, false)
	sum := res.Summary()
	for _, want := range []string{"updated session css-layout-today (title)", "updated session rust-for-web-developers (room, starts_at, ends_at)",
		"deleted session closing-panel", "created session rust-for-web-developers-2"} {
		if !strings.Contains(sum, want) {
			t.Errorf("summary does not say %q:\n%s", want, sum)
		}
	}
	got := sessionsBySlug(t, db)
	if got["css-layout-today"].ID != ids["css-layout-today"] || got["rust-for-web-developers"].ID != ids["rust-for-web-developers"] {
		t.Errorf("sessions lost their identity: %v → %v", ids, got)
	}
	if _, ok := got["lunch"]; !ok {
		t.Error("the hand-made lunch session was removed by an import")
	}
	if _, ok := got["closing-panel"]; ok {
		t.Error("the dropped panel is still there")
	}
}

func TestAScheduleThatDoesNotFitTheEventChangesNothing(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	mustApply(t, db, "webconf.yaml", []byte(webconfYAML))
	before := rowCounts(t, db)
	s := scheduleFixture(t, timetable.FormatFrab, "frab-schedule.xml")
	s.Sessions[4].Start, s.Sessions[4].End = s.Sessions[4].Start.Add(48*time.Hour), s.Sessions[4].End.Add(48*time.Hour)
	_, err := ImportSchedule(context.Background(), db, "webconf", s, ImportOptions{Source: "schedule.xml"})
	var ie *ImportError
	if !errors.As(err, &ie) || err.Error() != `schedule.xml:129: <event id="105"> "Closing Panel": starts_at starts before the event does (2026-05-24T08:00:00+02:00)` &&
		!strings.Contains(err.Error(), `schedule.xml:129: <event id="105"> "Closing Panel": ends_at ends after the event does`) {
		t.Fatalf("err = %v", err)
	}
	// Two talks at once in one room.
	s = scheduleFixture(t, timetable.FormatFrab, "frab-schedule.xml")
	s.Sessions[2].Room = "Main Hall"
	_, err = ImportSchedule(context.Background(), db, "webconf", s, ImportOptions{Source: "schedule.xml"})
	if err == nil || !strings.Contains(err.Error(), `schedule.xml:73: <event id="103"> "Rust for Web Developers": `) ||
		!strings.Contains(err.Error(), `overlaps session "css-layout-today" in room "Main Hall"`) {
		t.Fatalf("err = %v", err)
	}
	_, err = ImportSchedule(context.Background(), db, "nope", s, ImportOptions{Source: "schedule.xml"})
	var nf *models.NotFoundError
	if !errors.As(err, &nf) || nf.Message() != `There is no event "nope".` {
		t.Fatalf("unknown event: %v", err)
	}
	if after := rowCounts(t, db); after["sessions"] != before["sessions"] || after["audit_log"] != before["audit_log"] {
		t.Errorf("a failed import wrote: %v → %v", before, after)
	}
}
