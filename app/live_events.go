package app

import (
	"context"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/realtime"
)

// liveEvents resolves an event slug for the live API from Postgres (the
// realtime handler caches the answers for a few seconds).
type liveEvents struct{ app *App }

// LookupLive implements realtime.EventLookup.
func (l liveEvents) LookupLive(ctx context.Context, slug string) (realtime.LiveEvent, error) {
	ev, err := models.EventBySlug(ctx, l.app.DB, slug)
	if err != nil {
		return realtime.LiveEvent{}, err
	}
	return realtime.LiveEvent{ID: ev.ID, Slug: ev.Slug, Posting: ev.Posting, Moderation: ev.Moderation}, nil
}
