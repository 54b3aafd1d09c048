package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

func TestCompactEndedCompactsOnlyEventsThatEndedLongEnoughAgo(t *testing.T) {
	e := newEnv(t) // the event ends at t0+48h
	e.appendN(30)
	running := models.Event{Slug: "later", Title: "Later", Timezone: "UTC", StartsAt: t0, EndsAt: t0.Add(30 * 24 * time.Hour),
		Posting: "open", Moderation: "after"}
	if err := e.db.Create(&running).Error; err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 30; i++ {
		if _, err := e.log.AppendItem(context.Background(), running.ID, item(100+i)); err != nil {
			t.Fatal(err)
		}
	}
	s := e.strainer(StrainerOptions{})
	ctx := context.Background()

	// A day after the end is not long enough with a two-day grace.
	if n, _, err := s.CompactEnded(ctx, t0.Add(73*time.Hour), 48*time.Hour, 10); err != nil || n != 0 {
		t.Fatalf("within the grace: compacted %d events (%v)", n, err)
	}
	n, dropped, err := s.CompactEnded(ctx, t0.Add(73*time.Hour), 24*time.Hour, 10)
	if err != nil || n != 1 || dropped != 20 {
		t.Fatalf("compacted %d events, %d states (%v); want 1 event, 20 states", n, dropped, err)
	}
	if items, _, err := e.log.Held(ctx, e.ev.ID); err != nil || items != 10 {
		t.Fatalf("the ended event holds %d item states (%v), want 10", items, err)
	}
	if items, _, err := e.log.Held(ctx, running.ID); err != nil || items != 30 {
		t.Fatalf("the running event holds %d item states (%v), want all 30", items, err)
	}
	// Straining still works on a compacted log: it reads entries, not states.
	if _, err := s.StrainEvent(ctx, e.ev.ID); err != nil {
		t.Fatal(err)
	}
	var rows int64
	e.db.Model(&models.Item{}).Where("event_id = ?", e.ev.ID).Count(&rows)
	if rows != 30 {
		t.Fatalf("%d items strained from the compacted log, want 30", rows)
	}
	if _, err := e.log.AppendOp(ctx, e.ev.ID, live.OpHide, 1, nil); err == nil {
		t.Fatal("an op on a compacted item was accepted")
	}
}
