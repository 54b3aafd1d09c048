package eventfile

import (
	"context"
	_ "embed" // demo.yaml
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// DemoSlug is the slug of the built-in demo event.
const DemoSlug = "demo"

// DemoActor is the audit-log actor of ApplyDemo.
var DemoActor = store.Actor{Name: "cli:demo"}

//go:embed demo.yaml
var demoYAML []byte

// demoNow is the reference "now" of demo.yaml: its 12:00 sessions are the
// ones happening now, its event starts the day before.
func demoNow() time.Time { return time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC) }

// DemoYAML returns the embedded demo event file (with its reference times).
func DemoYAML() []byte { return append([]byte(nil), demoYAML...) }

// Demo returns the demo event moved to now: the event runs from yesterday
// 00:00 UTC to the day after tomorrow 00:00 UTC, and its six one-hour
// sessions in two rooms run from two hours before the current hour to three
// hours after it, two of them during the current hour.
func Demo(now time.Time) *File {
	f, err := Parse("demo.yaml", demoYAML)
	if err != nil { // the embedded file is tested; this is a build mistake
		panic(fmt.Sprintf("eventfile: embedded demo.yaml: %v", err))
	}
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	ref := demoNow()
	dayShift := day.Sub(ref.Truncate(24 * time.Hour))
	hourShift := now.Truncate(time.Hour).Sub(ref)
	f.Event.StartsAt = f.Event.StartsAt.Add(dayShift)
	f.Event.EndsAt = f.Event.EndsAt.Add(dayShift)
	for i := range f.Sessions {
		f.Sessions[i].StartsAt = f.Sessions[i].StartsAt.Add(hourShift)
		f.Sessions[i].EndsAt = f.Sessions[i].EndsAt.Add(hourShift)
	}
	return f
}

// ApplyDemo creates or refreshes the demo event. When it already exists
// with a session happening at now, nothing is written (a rerun, even after
// an organizer's edits, is a no-op); otherwise Demo(now) is applied.
func ApplyDemo(ctx context.Context, db *gorm.DB, now time.Time) (*Result, error) {
	ev, err := store.New(db).EventBySlug(ctx, DemoSlug)
	switch {
	case errors.Is(err, models.ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("eventfile: demo: %w", err)
	default:
		if ev.Phase(now) == "now" {
			for _, s := range ev.Sessions {
				if !now.Before(s.StartsAt) && now.Before(s.EndsAt) {
					return &Result{EventID: ev.ID, Slug: ev.Slug}, nil
				}
			}
		}
	}
	return Apply(ctx, db, Demo(now), DemoActor)
}
