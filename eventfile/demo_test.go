package eventfile

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/store"
)

func TestEmbeddedDemoFileIsValid(t *testing.T) {
	f, err := Parse("demo.yaml", DemoYAML())
	if err != nil {
		t.Fatal(err)
	}
	if f.Event.Slug != "demo" || f.Event.Title != "Backchannel Demo" || f.Event.Hashtag == "" ||
		f.Event.Posting != "open" || f.Event.Moderation != "after" {
		t.Errorf("demo event = %+v", f.Event)
	}
	if len(f.Sources) != 1 || f.Sources[0].Kind != "replay" || string(f.Sources[0].Config) != `{"every":"3s"}` {
		t.Errorf("demo sources = %+v", f.Sources)
	}
}

func TestDemoAlwaysHasASessionHappeningNow(t *testing.T) {
	for _, now := range []time.Time{
		time.Now(),
		time.Date(2026, 5, 24, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 5, 24, 0, 30, 0, 0, time.UTC),
		time.Date(2026, 5, 24, 23, 59, 59, 0, time.UTC),
		time.Date(2027, 2, 28, 23, 10, 0, 0, time.FixedZone("EST", -5*3600)), // Mar 1 in UTC
		time.Date(2028, 12, 31, 12, 0, 0, 0, time.UTC),
	} {
		f := Demo(now)
		if err := f.Validate(); err != nil {
			t.Fatalf("Demo(%v) is invalid: %v", now, err)
		}
		day := now.UTC().Truncate(24 * time.Hour)
		if !f.Event.StartsAt.Equal(day.AddDate(0, 0, -1)) || !f.Event.EndsAt.Equal(day.AddDate(0, 0, 2)) {
			t.Errorf("Demo(%v) event window %v – %v", now, f.Event.StartsAt, f.Event.EndsAt)
		}
		rooms := map[string]bool{}
		happening := 0
		for _, s := range f.Sessions {
			rooms[s.RoomSlug()] = true
			if s.EndsAt.Sub(s.StartsAt) != time.Hour {
				t.Errorf("session %s lasts %v", s.Slug, s.EndsAt.Sub(s.StartsAt))
			}
			if !now.Before(s.StartsAt) && now.Before(s.EndsAt) {
				happening++
			}
		}
		if len(f.Sessions) < 4 || len(f.Sessions) > 6 || len(rooms) != 2 || happening == 0 {
			t.Errorf("Demo(%v): %d sessions in %d rooms, %d happening now", now, len(f.Sessions), len(rooms), happening)
		}
	}
}

func TestApplyDemoTwiceIsANoOp(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	ctx := context.Background()
	now := time.Now()
	res, err := ApplyDemo(ctx, db, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created()) != 10 { // event, 2 rooms, 6 sessions, 1 source
		t.Errorf("first demo apply:\n%s", res.Summary())
	}
	before := rowCounts(t, db)
	res, err = ApplyDemo(ctx, db, now.Add(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed() || res.EventID == 0 {
		t.Errorf("second demo apply:\n%s", res.Summary())
	}
	if after := rowCounts(t, db); !equalCounts(before, after) {
		t.Errorf("rows %v → %v", before, after)
	}
}

func TestApplyDemoMovesSessionsWhenNoneIsHappening(t *testing.T) {
	db := testenv.NewDatabase(t).DB
	ctx := context.Background()
	first := time.Date(2026, 5, 24, 10, 15, 0, 0, time.UTC)
	if _, err := ApplyDemo(ctx, db, first); err != nil {
		t.Fatal(err)
	}
	later := first.Add(6 * time.Hour) // past the last session
	res, err := ApplyDemo(ctx, db, later)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Updated()) != 6 || len(res.Created())+len(res.Deleted()) != 0 {
		t.Errorf("demo apply 6 h later:\n%s", res.Summary())
	}
	ev, err := store.New(db).EventBySlug(ctx, DemoSlug)
	if err != nil {
		t.Fatal(err)
	}
	covered := false
	for _, s := range ev.Sessions {
		covered = covered || (!later.Before(s.StartsAt) && later.Before(s.EndsAt))
	}
	if !covered {
		t.Errorf("no demo session covers %v: %+v", later, ev.Sessions)
	}
}

func TestDemoYAMLIsACopy(t *testing.T) {
	b := DemoYAML()
	b[0] = '!'
	if bytes.Equal(b, DemoYAML()) {
		t.Error("DemoYAML exposes the embedded bytes")
	}
}
