package app

import (
	"context"

	"github.com/backchannel/backchannel/moderation"
	"github.com/backchannel/backchannel/realtime"
)

// newModeration builds this process's moderation verbs over the live log:
// the admin's console and the attendee-post path share them, so a ban
// counts for posts on this node at once (on the others within the verbs'
// rules cache, a few seconds). changed is told after each committed change
// to an event's items.
func (a *App) newModeration(log *realtime.Log, changed func(ctx context.Context, eventID int64)) *moderation.Verbs {
	return moderation.New(a.Store, moderation.LogOf(log, realtime.ErrUnknownTarget, realtime.ErrNotShown),
		moderation.Options{Changed: changed, Logger: a.Logger})
}
