package store_test

import (
	"context"
	"errors"
	"testing"
	"time"
	"unsafe"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

func seedEvent(t *testing.T, db *testenv.Database, slug string) models.Event {
	t.Helper()
	now := time.Now().UTC()
	ev := models.Event{Slug: slug, Title: "Conf", Timezone: "UTC", StartsAt: now, EndsAt: now.Add(time.Hour),
		Posting: models.PostingOpen, Moderation: models.ModerationAfter}
	if err := db.DB.Create(&ev).Error; err != nil {
		t.Fatal(err)
	}
	s := models.Session{EventID: ev.ID, Slug: "keynote", Title: "Keynote", StartsAt: now, EndsAt: now.Add(time.Hour)}
	if err := db.DB.Create(&s).Error; err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestEventLookupServesItsCopyWithinTTLAndForgetsItOnInvalidate(t *testing.T) {
	db := testenv.NewDatabase(t)
	ev := seedEvent(t, db, "conf")
	events := store.NewEvents(store.New(db.DB), store.EventsOptions{TTL: time.Hour})
	ctx := context.Background()
	got, err := events.BySlug(ctx, "conf")
	if err != nil || got.ID != ev.ID || len(got.Sessions) != 1 {
		t.Fatalf("first lookup = %+v, %v", got, err)
	}
	if f, ok := events.Fresh([]byte("conf")); !ok || f != got {
		t.Fatal("Fresh does not return the copy just read")
	}
	if err := db.DB.Model(&models.Event{}).Where("id = ?", ev.ID).Update("title", "Renamed").Error; err != nil {
		t.Fatal(err)
	}
	if got, _ := events.BySlug(ctx, "conf"); got.Title != "Conf" {
		t.Fatalf("within TTL the lookup read Postgres again: %q", got.Title)
	}
	events.Invalidate(ev.ID)
	if _, ok := events.Fresh([]byte("conf")); ok {
		t.Fatal("Fresh still has the copy after Invalidate")
	}
	if got, _ := events.BySlug(ctx, "conf"); got.Title != "Renamed" {
		t.Fatalf("after Invalidate title = %q, want the new one", got.Title)
	}
	_, err = events.BySlug(ctx, "nope")
	var nf *models.NotFoundError
	if !errors.As(err, &nf) || nf.Message() != `There is no event "nope".` {
		t.Fatalf("unknown slug: %v", err)
	}
}

// TestEventLookupKeepsItsOwnCopyOfTheSlug looks up a slug whose bytes the
// caller reuses afterwards, as fasthttp reuses a request's buffer under
// fiber's c.Params: the lookup must still find the copy under the slug.
func TestEventLookupKeepsItsOwnCopyOfTheSlug(t *testing.T) {
	db := testenv.NewDatabase(t)
	seedEvent(t, db, "conf")
	events := store.NewEvents(store.New(db.DB), store.EventsOptions{TTL: time.Hour})
	buf := []byte("conf")
	if _, err := events.BySlug(context.Background(), unsafe.String(&buf[0], len(buf))); err != nil {
		t.Fatal(err)
	}
	copy(buf, "zzzz") // the next request overwrites the buffer
	if _, ok := events.Fresh([]byte("conf")); !ok {
		t.Fatal("the copy is lost once the caller's buffer changes")
	}
}

func TestEventLookupServesTheLastGoodCopyWhilePostgresIsDown(t *testing.T) {
	pg := testenv.StartPostgres(t)
	db := pg.NewDatabase(t)
	ev := seedEvent(t, db, "conf")
	events := store.NewEvents(store.New(db.DB), store.EventsOptions{TTL: 20 * time.Millisecond})
	ctx := context.Background()
	if _, err := events.BySlug(ctx, "conf"); err != nil {
		t.Fatal(err)
	}
	pg.Stop(t)
	time.Sleep(50 * time.Millisecond) // past the TTL: the lookup must ask Postgres, and fail
	for range 3 {
		got, err := events.BySlug(ctx, "conf")
		if err != nil || got.ID != ev.ID || len(got.Sessions) != 1 || got.Sessions[0].Slug != "keynote" {
			t.Fatalf("with Postgres down = %+v, %v; want the last good copy with its sessions", got, err)
		}
		time.Sleep(30 * time.Millisecond)
	}
	_, err := events.BySlug(ctx, "never-seen")
	if !errors.Is(err, models.ErrUnavailable) {
		t.Fatalf("an event never read, with Postgres down: %v; want ErrUnavailable", err)
	}
	pg.Start(t)
	if err := db.DB.Model(&models.Event{}).Where("id = ?", ev.ID).Update("title", "Back").Error; err != nil {
		t.Fatalf("Postgres back: %v", err)
	}
	time.Sleep(50 * time.Millisecond)
	if got, err := events.BySlug(ctx, "conf"); err != nil || got.Title != "Back" {
		t.Fatalf("after Postgres returned = %+v, %v; want the fresh row", got, err)
	}
}

// TestEventLookupRenewsACopyInUseBeforeItExpires holds the live fast path's
// promise: a copy looked up again and again is read again in the
// background in the last quarter of its TTL, so Fresh never misses for an
// event in use, and an edit still shows within a TTL.
func TestEventLookupRenewsACopyInUseBeforeItExpires(t *testing.T) {
	db := testenv.NewDatabase(t)
	ev := seedEvent(t, db, "conf")
	const ttl = time.Second
	events := store.NewEvents(store.New(db.DB), store.EventsOptions{TTL: ttl})
	if _, err := events.BySlug(context.Background(), "conf"); err != nil {
		t.Fatal(err)
	}
	if err := db.DB.Model(&models.Event{}).Where("id = ?", ev.ID).Update("title", "Renamed").Error; err != nil {
		t.Fatal(err)
	}
	edited := time.Now()
	renamedSeen := false
	for time.Since(edited) < 3*ttl {
		got, ok := events.Fresh([]byte("conf"))
		if !ok {
			t.Fatalf("Fresh missed %v after the first read: a copy in use expired", time.Since(edited).Round(time.Millisecond))
		}
		if got.Title == "Renamed" {
			renamedSeen = true
		} else if time.Since(edited) > ttl+ttl/2 {
			t.Fatalf("the edit is not shown %v after it", time.Since(edited).Round(time.Millisecond))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !renamedSeen {
		t.Fatal("the renewed copy never carried the edit")
	}
}
