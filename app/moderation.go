package app

import (
	"context"

	"github.com/backchannel/backchannel/moderation"
	"github.com/backchannel/backchannel/realtime"
	"github.com/backchannel/backchannel/schedule"
)

// newModeration builds this process's moderation verbs over the live log:
// the admin's console and the attendee-post path share them, so a ban
// counts for posts on this node at once (on the others within the verbs'
// rules cache, a few seconds). changed is told after each committed change
// to an event's items.
func (a *App) newModeration(log *realtime.Log, changed func(ctx context.Context, eventID int64)) *moderation.Verbs {
	return moderation.New(a.Store, moderation.LogOf(log, realtime.ErrUnknownTarget),
		moderation.Options{Changed: changed, Logger: a.Logger})
}

// newSchedules is this process's cache of events' compiled schedules, for
// placing items at ingest (the sources' runners and the attendee posts):
// the same rule the strainer and re-assignment run (package schedule).
func (a *App) newSchedules() *schedule.Cache {
	return schedule.NewCache(func(ctx context.Context, eventID int64) (*schedule.Schedule, error) {
		_, sessions, err := a.Store.EventSchedule(ctx, eventID)
		if err != nil {
			return nil, err
		}
		return schedule.New(sessions), nil
	}, schedule.CacheOptions{Logger: a.Logger, Now: a.Now})
}
