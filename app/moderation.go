package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/moderation"
	"github.com/backchannel/backchannel/realtime"
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
