package resources

import (
	"context"
	"time"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/crud"
	"github.com/backchannel/backchannel/eventfile"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// Events declares the events: superusers create and delete them,
// organizers edit their own, and every account lists those it works on.
func Events() *crud.Resource {
	r := &crud.Resource{
		Key: "events", Singular: "event", Plural: "Events", ObjectType: "event",
		Table: "events", Kind: crud.Events, UpdatedAt: true, Title: "t.title || ' (' || t.slug || ')'",
		Columns: []crud.Column{
			{Key: "title", Label: "Title", SQL: "t.title", Sortable: true, Link: true},
			{Key: "slug", Label: "Slug", SQL: "t.slug", Sortable: true},
			{Key: "starts", Label: "Starts", SQL: "to_char(t.starts_at AT TIME ZONE t.timezone, 'YYYY-MM-DD HH24:MI')", Sortable: true},
			{Key: "timezone", Label: "Time zone", SQL: "t.timezone"},
			{Key: "posting", Label: "Posting", SQL: "t.posting", Sortable: true},
			{Key: "moderation", Label: "Moderation", SQL: "t.moderation"},
			{Key: "qa", Label: "Questions", SQL: "t.qa"},
			{Key: "sources", Label: "Sources", SQL: "(SELECT count(*) FROM sources x WHERE x.event_id = t.id)"},
			{Key: "pending", Label: "Held", SQL: "(SELECT count(*) FROM items i WHERE i.event_id = t.id AND i.review = 'pending')"},
		},
		Filters: []crud.Filter{
			{Key: "posting", Label: "posting", SQL: "t.posting", Choices: crud.Choices("open", "moderated", "closed")},
			{Key: "moderation", Label: "moderation", SQL: "t.moderation", Choices: crud.Choices("after", "before")},
			{Key: "phase", Label: "phase", SQL: "CASE WHEN now() < t.starts_at THEN 'upcoming' WHEN now() < t.ends_at THEN 'now' ELSE 'past' END",
				Choices: crud.Choices("now", "upcoming", "past")},
		},
		Search:      []string{"t.title", "t.slug", "t.hashtag"},
		DefaultSort: "-starts",
		ViewPerm:    auth.PermAccess, EditPerm: auth.PermEventManage, CreatePerm: auth.PermSystem, DeletePerm: auth.PermSystem,
		Fields: []crud.Field{
			{Name: "slug", Label: "Slug", Type: "text", Required: true, Help: "Used in URLs: a-z, 0-9 and hyphens, e.g. aea-boston-2026."},
			{Name: "title", Label: "Title", Type: "text", Required: true},
			{Name: "description", Label: "Description", Type: "textarea"},
			{Name: "hashtag", Label: "Hashtag", Type: "text", Help: "One word, like #aeaboston."},
			{Name: "timezone", Label: "Time zone", Type: "text", Required: true, Help: "An IANA name such as America/New_York or UTC; the times below are in it."},
			{Name: "starts_at", Label: "Starts at", Type: "datetime", Required: true},
			{Name: "ends_at", Label: "Ends at", Type: "datetime", Required: true},
			{Name: "posting", Label: "Attendee posts", Type: "select", Choices: []crud.Choice{
				{Value: "open", Label: "open: shown at once"}, {Value: "moderated", Label: "moderated: held for approval"}, {Value: "closed", Label: "closed"}}},
			{Name: "moderation", Label: "Source items", Type: "select", Choices: []crud.Choice{
				{Value: "after", Label: "after: shown at once, hidden later if need be"}, {Value: "before", Label: "before: held until approved"}}},
			{Name: "qa", Label: "Audience questions", Type: "select", Choices: []crud.Choice{
				{Value: "open", Label: "open: shown at once"}, {Value: "moderated", Label: "moderated: held until approved"}, {Value: "closed", Label: "closed"}}},
		},
		Where: func(sc crud.Scope) (string, []any) {
			if sc.P.User.IsSuperuser {
				return "", nil
			}
			return "t.id IN ?", []any{append(sc.P.EventIDs(), 0)}
		},
		Cascade: []store.AdminCountQuery{
			{Label: "sessions", SQL: "SELECT count(*) FROM sessions WHERE event_id IN ?"},
			{Label: "sources", SQL: "SELECT count(*) FROM sources WHERE event_id IN ?"},
			{Label: "items", SQL: "SELECT count(*) FROM items WHERE event_id IN ?"},
			{Label: "moderation rules", SQL: "SELECT count(*) FROM moderation_rules WHERE event_id IN ?"},
			{Label: "organizer and moderator roles", SQL: "SELECT count(*) FROM event_roles WHERE event_id IN ?"},
		},
		Clean: cleanEvent,
	}
	// A moderator cannot edit the event: its row opens their console.
	r.Link = func(sc crud.Scope, id int64) string {
		if !sc.P.Can(auth.PermEventManage, id) {
			return r.ObjectURL(0, id) + "/moderate"
		}
		return r.ObjectURL(0, id)
	}
	return r
}

// cleanEvent validates an event's form as an event file's event
// (eventfile.ValidateEvent), its times read in its own time zone.
func cleanEvent(ctx context.Context, st *store.Store, _ crud.Scope, id int64, v crud.Values) (crud.Columns, *models.ValidationError, error) {
	ev := models.Event{Slug: v["slug"], Title: v["title"], Description: v["description"], Hashtag: v["hashtag"],
		Timezone: v["timezone"], Posting: v["posting"], Moderation: v["moderation"], QA: v["qa"]}
	loc := time.UTC
	if l, err := time.LoadLocation(ev.Timezone); err == nil && ev.Timezone != "" && ev.Timezone != "Local" {
		loc = l
	}
	parse := &models.ValidationError{}
	crud.ParseTime(v, "starts_at", loc, &ev.StartsAt, parse)
	crud.ParseTime(v, "ends_at", loc, &ev.EndsAt, parse)
	verr := crud.Merge(parse, eventfile.ValidateEvent(&ev))
	taken, err := st.RowExists(ctx, "events", store.Where("slug = ? AND id <> ?", ev.Slug, id))
	if err != nil {
		return nil, nil, err
	}
	if taken {
		verr = crud.Merge(verr, crud.FieldError("slug", "is already used by another event"))
	}
	if verr != nil {
		return nil, verr, nil
	}
	return crud.Columns{"slug": ev.Slug, "title": ev.Title, "description": ev.Description, "hashtag": ev.Hashtag,
		"timezone": ev.Timezone, "starts_at": ev.StartsAt, "ends_at": ev.EndsAt, "posting": ev.Posting,
		"moderation": ev.Moderation, "qa": ev.QA}, nil, nil
}
