package resources

import (
	"context"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/crud"
	"github.com/backchannel/backchannel/eventfile"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// Sessions declares one event's sessions (organizers).
func Sessions() *crud.Resource {
	return &crud.Resource{
		Key: "sessions", Singular: "session", Plural: "Sessions", ObjectType: "session",
		Table: "sessions", Kind: crud.InEvent, UpdatedAt: true, Title: "t.title || ' (' || t.slug || ')'",
		Columns: []crud.Column{
			{Key: "title", Label: "Title", SQL: "t.title", Sortable: true, Link: true},
			{Key: "speaker", Label: "Speaker", SQL: "t.speaker", Sortable: true},
			{Key: "room", Label: "Room", SQL: "t.room", Sortable: true},
			{Key: "starts", Label: "Starts", SQL: "to_char(t.starts_at AT TIME ZONE (SELECT timezone FROM events e WHERE e.id = t.event_id), 'YYYY-MM-DD HH24:MI')", Sortable: true},
			{Key: "ends", Label: "Ends", SQL: "to_char(t.ends_at AT TIME ZONE (SELECT timezone FROM events e WHERE e.id = t.event_id), 'HH24:MI')"},
			{Key: "items", Label: "Items", SQL: "(SELECT count(*) FROM items i WHERE i.event_id = t.event_id AND i.session_id = t.id)"},
		},
		Search:      []string{"t.title", "t.slug", "t.speaker", "t.room"},
		DefaultSort: "starts",
		PerPage:     100,
		ViewPerm:    auth.PermEventManage, EditPerm: auth.PermEventManage, CreatePerm: auth.PermEventManage, DeletePerm: auth.PermEventManage,
		Fields: []crud.Field{
			{Name: "slug", Label: "Slug", Type: "text", Required: true, Help: "a-z, 0-9 and hyphens, unique in the event."},
			{Name: "title", Label: "Title", Type: "text", Required: true},
			{Name: "speaker", Label: "Speaker", Type: "text"},
			{Name: "room", Label: "Room", Type: "text", Help: "Sessions in the same room may not overlap."},
			{Name: "starts_at", Label: "Starts at", Type: "datetime", Required: true, Help: "In the event's time zone."},
			{Name: "ends_at", Label: "Ends at", Type: "datetime", Required: true, Help: "In the event's time zone."},
		},
		Cascade: []store.AdminCountQuery{
			{Label: "items kept but no longer assigned to a session", SQL: "SELECT count(*) FROM items WHERE session_id IN ?"},
		},
		Clean: cleanSession,
	}
}

// cleanSession validates a session as an event file's
// (eventfile.ValidateSession: inside the event, no overlap in its room).
func cleanSession(ctx context.Context, st *store.Store, sc crud.Scope, id int64, v crud.Values) (crud.Columns, *models.ValidationError, error) {
	ss := models.Session{ID: id, EventID: sc.EventID(), Slug: v["slug"], Title: v["title"], Speaker: v["speaker"], Room: v["room"]}
	loc := sc.Event.Location()
	parse := &models.ValidationError{}
	crud.ParseTime(v, "starts_at", loc, &ss.StartsAt, parse)
	crud.ParseTime(v, "ends_at", loc, &ss.EndsAt, parse)
	others, err := st.SessionsOfEvent(ctx, sc.EventID())
	if err != nil {
		return nil, nil, err
	}
	if verr := crud.Merge(parse, eventfile.ValidateSession(sc.Event, &ss, others)); verr != nil {
		return nil, verr, nil
	}
	return crud.Columns{"slug": ss.Slug, "title": ss.Title, "speaker": ss.Speaker, "room": ss.Room,
		"starts_at": ss.StartsAt, "ends_at": ss.EndsAt}, nil, nil
}
