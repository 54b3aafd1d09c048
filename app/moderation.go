package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/moderation"
	"github.com/backchannel/backchannel/realtime"
	"github.com/backchannel/backchannel/schedule"
)

// newModeration builds this process's moderation verbs over the live log:
// the admin's console and the attendee-post path share them, so a ban
// counts for posts on this node at once (on the others within the verbs'
// rules cache, a few seconds). changed is told after each committed change
// to an event's items. Room posters are sealed into their posts with keys
// derived from SECRET_KEY, so a ban follows their browser.
func (a *App) newModeration(log *realtime.Log, changed func(ctx context.Context, eventID int64)) *moderation.Verbs {
	o := moderation.Options{Changed: changed, Logger: a.Logger}
	if len(a.Config.SecretKey) > 0 {
		o.Keys = a.Config.Keyring()
	}
	return moderation.New(a.Store, moderation.LogOf(log, realtime.ErrUnknownTarget, realtime.ErrNotShown), o)
}

// screenPost applies the event's rules to an attendee's post; a banned
// browser or address is refused (403).
func screenPost(verbs *moderation.Verbs) func(ctx context.Context, eventID int64, it *live.Item, p live.Poster) error {
	return func(ctx context.Context, eventID int64, it *live.Item, p live.Poster) error {
		err := verbs.ScreenPost(ctx, eventID, it, p)
		if errors.Is(err, moderation.ErrBanned) {
			return fmt.Errorf("%w: %w", realtime.ErrPostRefused, err)
		}
		return err
	}
}

// reportPost records an attendee's report through the verbs.
func reportPost(verbs *moderation.Verbs) func(ctx context.Context, eventID, seq int64, reporter, reason string) (realtime.ReportResult, error) {
	return func(ctx context.Context, eventID, seq int64, reporter, reason string) (realtime.ReportResult, error) {
		r, err := verbs.Report(ctx, eventID, seq, reporter, reason)
		return realtime.ReportResult{Duplicate: r.Duplicate}, err
	}
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
