package jobs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/backchannel/backchannel/eventfile"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/moderation"
	"github.com/backchannel/backchannel/realtime"
	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/timetable"
)

// threeRooms adds three rooms with a talk each from 13:00 to 14:00 (so
// they overlap), each with its own tag and speaker, and a closing talk in
// room A after them.
func (e *env) threeRooms() map[string]models.Session {
	e.t.Helper()
	out := map[string]models.Session{}
	for i, r := range []struct{ room, talk, tag, handle string }{
		{"room-a", "css-talk", "csstalk", "@jen@front-end.social"},
		{"room-b", "go-talk", "gotalk", "rob.bsky.social"},
		{"room-c", "db-talk", "dbtalk", "@ada"},
	} {
		room := models.Room{EventID: e.ev.ID, Slug: r.room, Name: r.room, Position: i}
		if err := e.db.Create(&room).Error; err != nil {
			e.t.Fatal(err)
		}
		s := models.Session{EventID: e.ev.ID, Slug: r.talk, Title: r.talk, RoomID: &room.ID, Track: "Track " + r.room,
			Tags: models.StringList{r.tag}, SpeakerHandles: models.StringList{r.handle}, StartsAt: t0, EndsAt: t0.Add(time.Hour)}
		if err := e.db.Create(&s).Error; err != nil {
			e.t.Fatal(err)
		}
		out[r.talk] = s
		if r.room == "room-a" {
			c := models.Session{EventID: e.ev.ID, Slug: "closing", Title: "closing", RoomID: &room.ID,
				StartsAt: t0.Add(70 * time.Minute), EndsAt: t0.Add(100 * time.Minute)}
			if err := e.db.Create(&c).Error; err != nil {
				e.t.Fatal(err)
			}
			out["closing"] = c
		}
	}
	return out
}

func post(n int, source, handle, text string, at time.Duration) live.Item {
	t := t0.Add(at)
	return live.Item{ID: fmt.Sprintf("%s:%d", source, n), Source: source, Kind: live.KindPost,
		Author: live.Author{Name: "someone", Handle: handle}, Text: text, CreatedAt: t, ReceivedAt: t}
}

func TestParallelTalksEachKeepTheirOwnPostsThroughEditsAndMoves(t *testing.T) {
	e := newEnv(t)
	talks := e.threeRooms()
	ctx := context.Background()
	seqs := e.append(
		post(1, "mastodon", "@someone@example.social", "Great start #csstalk", 5*time.Minute),
		post(2, "x", "@fan", "#gotalk goroutines everywhere", 6*time.Minute),
		post(3, "bluesky", "@viewer.bsky.social", "dbtalk: indexes matter", 7*time.Minute),
		post(4, "mastodon", "@jen@front-end.social", "my slides are up", 8*time.Minute),  // the speaker of css-talk
		post(5, "x", "@someone", "which room has the coffee?", 9*time.Minute),            // three talks run: ambiguous
		post(6, "x", "@late", "that was fun", 75*time.Minute),                            // only closing runs
		post(7, "bluesky", "@x.bsky.social", "thanks @rob.bsky.social!", 10*time.Minute), // mentions go-talk's speaker
		post(8, "x", "@someone", "so many talks at once", 11*time.Minute),                // ambiguous, placed before straining
	)
	room := live.Item{ID: "room:9", Source: live.SourceRoom, Kind: live.KindPost, Author: live.Author{Name: "Ann"},
		Text: "posted from the db talk's page", FromSession: "db-talk", CreatedAt: t0.Add(12 * time.Minute), ReceivedAt: t0.Add(12 * time.Minute)}
	seqs = append(seqs, e.append(room)...)
	verbs := moderation.New(store.New(e.db), moderation.LogOf(e.log, realtime.ErrUnknownTarget, realtime.ErrNotShown), moderation.Options{})
	by := store.Actor{Name: "mod@example.org"}
	if _, err := verbs.Place(ctx, by, e.ev.ID, "css-talk", seqs[7]); err != nil {
		t.Fatalf("place before straining: %v", err)
	}
	s := e.strainer(StrainerOptions{})
	if _, err := s.StrainEvent(ctx, e.ev.ID); err != nil {
		t.Fatal(err)
	}
	want := map[int64]struct{ session, rule string }{
		seqs[0]: {"css-talk", models.PlacedByTag},
		seqs[1]: {"go-talk", models.PlacedByTag},
		seqs[2]: {"db-talk", models.PlacedByTag},
		seqs[3]: {"css-talk", models.PlacedByHandle},
		seqs[4]: {"", models.PlacedAmbiguous},
		seqs[5]: {"closing", models.PlacedByTime},
		seqs[6]: {"go-talk", models.PlacedByHandle},
		seqs[7]: {"css-talk", models.PlacedManually},
		seqs[8]: {"db-talk", models.PlacedByPage},
	}
	check := func(when string) {
		t.Helper()
		bySlug := map[int64]string{}
		for slug, s := range talks {
			bySlug[s.ID] = slug
		}
		for _, it := range e.items() {
			w := want[it.Seq]
			got := ""
			if it.SessionID != nil {
				got = bySlug[*it.SessionID]
			}
			if got != w.session || it.Placement != w.rule {
				t.Errorf("%s: item %d (%q) in %q by %q, want %q by %q", when, it.Seq, it.Text, got, it.Placement, w.session, w.rule)
			}
		}
	}
	check("strained")

	// A moderator places the ambiguous post; it is audited.
	if _, err := verbs.Place(ctx, by, e.ev.ID, "go-talk", seqs[4]); err != nil {
		t.Fatal(err)
	}
	want[seqs[4]] = struct{ session, rule string }{"go-talk", models.PlacedManually}
	var audits int64
	e.db.Model(&models.AuditEntry{}).Where("action = 'place' AND object_type = 'item'").Count(&audits)
	if audits != 2 {
		t.Errorf("%d place audit rows, want 2", audits)
	}
	check("placed")

	// The organizer moves go-talk an hour later and re-assignment runs: the
	// tagged posts follow their tags, the placed ones stay where they were
	// placed, and the page post stays with its page.
	e.db.Model(&models.Session{}).Where("id = ?", talks["go-talk"].ID).
		Updates(map[string]any{"starts_at": t0.Add(2 * time.Hour), "ends_at": t0.Add(3 * time.Hour)})
	res, err := s.Reassign(ctx, e.ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Items != 9 {
		t.Errorf("reassign read %d items, want 9", res.Items)
	}
	// With two talks left at 13:09, the coffee question would still be ambiguous
	// without the moderator; post 7 still mentions go-talk's speaker.
	check("after a schedule edit")
	// Re-assigning again changes nothing.
	if res, err = s.Reassign(ctx, e.ev.ID); err != nil || res.Moved != 0 {
		t.Errorf("second reassign moved %d (%v)", res.Moved, err)
	}

	// The organizer then imports the schedule from their calendar: the
	// sessions are adopted by slug (same ids, tags and handles), css-talk
	// ends earlier, and re-assignment keeps every manual placement.
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
	for _, v := range []struct {
		uid, title, room string
		from, to         time.Duration
	}{
		{"css@conf", "css-talk", "room-a", 0, 50 * time.Minute},
		{"go@conf", "go-talk", "room-b", 2 * time.Hour, 3 * time.Hour},
		{"db@conf", "db-talk", "room-c", 0, time.Hour},
		{"closing@conf", "closing", "room-a", 70 * time.Minute, 100 * time.Minute},
	} {
		ics += fmt.Sprintf("BEGIN:VEVENT\r\nUID:%s\r\nSUMMARY:%s\r\nLOCATION:%s\r\nDTSTART:%s\r\nDTEND:%s\r\nEND:VEVENT\r\n",
			v.uid, v.title, v.room, t0.Add(v.from).Format("20060102T150405Z"), t0.Add(v.to).Format("20060102T150405Z"))
	}
	ics += "END:VCALENDAR\r\n"
	sch, err := timetable.Parse(timetable.FormatICS, "conf.ics", []byte(ics))
	if err != nil {
		t.Fatal(err)
	}
	imp, err := eventfile.ImportSchedule(ctx, e.db, e.ev.Slug, sch, eventfile.ImportOptions{Actor: by, Source: "conf.ics"})
	if err != nil {
		t.Fatal(err)
	}
	if len(imp.Created()) != 0 || len(imp.Deleted()) != 0 || len(imp.Updated()) != 4 {
		t.Fatalf("import:\n%s", imp.Summary())
	}
	if _, err := s.Reassign(ctx, e.ev.ID); err != nil {
		t.Fatal(err)
	}
	check("after a re-import")
	// The same calendar again: nothing changes, nothing moves.
	if imp, err = eventfile.ImportSchedule(ctx, e.db, e.ev.Slug, sch, eventfile.ImportOptions{Actor: by, Source: "conf.ics"}); err != nil || imp.Changed() {
		t.Fatalf("second import changed (%v):\n%s", err, imp.Summary())
	}
	if res, err = s.Reassign(ctx, e.ev.ID); err != nil || res.Moved != 0 {
		t.Errorf("reassign after the second import moved %d (%v)", res.Moved, err)
	}
}
