package realtime

import (
	"context"

	"github.com/backchannel/backchannel/models"
)

// EventRows is a lookup of event rows by slug: the app's one cached lookup
// (store.Events) has this shape.
type EventRows interface {
	BySlug(ctx context.Context, slug string) (*models.Event, error)
	Fresh(slug []byte) (*models.Event, bool)
}

// EventsOf adapts a lookup of event rows to the live API's EventLookup.
func EventsOf(rows EventRows) EventLookup { return rowEvents{rows} }

type rowEvents struct{ rows EventRows }

func (r rowEvents) LookupLive(ctx context.Context, slug string) (LiveEvent, error) {
	ev, err := r.rows.BySlug(ctx, slug)
	if err != nil {
		return LiveEvent{}, err
	}
	return liveEventOf(ev), nil
}

func (r rowEvents) FreshLive(slug []byte) (LiveEvent, bool) {
	ev, ok := r.rows.Fresh(slug)
	if !ok {
		return LiveEvent{}, false
	}
	return liveEventOf(ev), true
}

func liveEventOf(ev *models.Event) LiveEvent {
	return LiveEvent{ID: ev.ID, Slug: ev.Slug, Posting: ev.Posting, Moderation: ev.Moderation, EndsAt: ev.EndsAt}
}
