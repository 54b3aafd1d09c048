package admin

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
)

func (s *server) eventsResource() *Resource {
	r := &Resource{
		Key: "events", Singular: "event", Plural: "Events", ObjectType: "event",
		Table: "events", IDColumn: "id", Title: "t.title || ' (' || t.slug || ')'",
		Columns: []Column{
			{Key: "title", Label: "Title", SQL: "t.title", Sortable: true, Link: true},
			{Key: "slug", Label: "Slug", SQL: "t.slug", Sortable: true},
			{Key: "starts", Label: "Starts", SQL: "to_char(t.starts_at AT TIME ZONE t.timezone, 'YYYY-MM-DD HH24:MI')", Sortable: true},
			{Key: "timezone", Label: "Time zone", SQL: "t.timezone"},
			{Key: "posting", Label: "Posting", SQL: "t.posting", Sortable: true},
			{Key: "moderation", Label: "Moderation", SQL: "t.moderation"},
			{Key: "sources", Label: "Sources", SQL: "(SELECT count(*) FROM sources x WHERE x.event_id = t.id)"},
			{Key: "pending", Label: "Held", SQL: "(SELECT count(*) FROM items i WHERE i.event_id = t.id AND i.review = 'pending')"},
		},
		Filters: []Filter{
			{Key: "posting", Label: "posting", SQL: "t.posting", Choices: choices("open", "moderated", "closed")},
			{Key: "moderation", Label: "moderation", SQL: "t.moderation", Choices: choices("after", "before")},
			{Key: "phase", Label: "phase", SQL: "CASE WHEN now() < t.starts_at THEN 'upcoming' WHEN now() < t.ends_at THEN 'now' ELSE 'past' END",
				Choices: choices("now", "upcoming", "past")},
		},
		Search:      []string{"t.title", "t.slug", "t.hashtag"},
		DefaultSort: "-starts",
		ViewPerm:    PermAccess, EditPerm: PermEventManage, CreatePerm: PermSystem, DeletePerm: PermSystem,
		Fields: []Field{
			{Name: "slug", Label: "Slug", Type: "text", Required: true, Help: "Used in URLs: a-z, 0-9 and hyphens, e.g. aea-boston-2026."},
			{Name: "title", Label: "Title", Type: "text", Required: true},
			{Name: "description", Label: "Description", Type: "textarea"},
			{Name: "hashtag", Label: "Hashtag", Type: "text", Help: "One word, like #aeaboston."},
			{Name: "timezone", Label: "Time zone", Type: "text", Required: true, Help: "An IANA name such as America/New_York or UTC; the times below are in it."},
			{Name: "starts_at", Label: "Starts at", Type: "datetime", Required: true},
			{Name: "ends_at", Label: "Ends at", Type: "datetime", Required: true},
			{Name: "posting", Label: "Attendee posts", Type: "select", Choices: []Choice{
				{Value: "open", Label: "open: shown at once"}, {Value: "moderated", Label: "moderated: held for approval"}, {Value: "closed", Label: "closed"}}},
			{Name: "moderation", Label: "Source items", Type: "select", Choices: []Choice{
				{Value: "after", Label: "after: shown at once, hidden later if need be"}, {Value: "before", Label: "before: held until approved"}}},
		},
		Where: func(sc Scope) (string, []any) {
			if sc.P.User.IsSuperuser {
				return "", nil
			}
			return "t.id IN ?", []any{append(sc.P.EventIDs(), 0)}
		},
	}
	r.Load = func(ctx context.Context, db *gorm.DB, sc Scope, id int64) (Values, error) {
		ev := sc.Event
		if ev == nil || ev.ID != id {
			return nil, models.NotFound("event", id)
		}
		loc := ev.Location()
		return Values{"slug": ev.Slug, "title": ev.Title, "description": ev.Description, "hashtag": ev.Hashtag,
			"timezone": ev.Timezone, "starts_at": localInput(ev.StartsAt, loc), "ends_at": localInput(ev.EndsAt, loc),
			"posting": ev.Posting, "moderation": ev.Moderation}, nil
	}
	r.Save = func(ctx context.Context, tx *gorm.DB, sc Scope, id int64, v Values) (int64, any, any, *models.ValidationError, error) {
		ev := models.Event{Slug: v["slug"], Title: v["title"], Description: v["description"], Hashtag: v["hashtag"],
			Timezone: v["timezone"], Posting: v["posting"], Moderation: v["moderation"]}
		loc := time.UTC
		if l, err := time.LoadLocation(ev.Timezone); err == nil && ev.Timezone != "" && ev.Timezone != "Local" {
			loc = l
		}
		parse := &models.ValidationError{}
		var ok bool
		if ev.StartsAt, ok = parseLocal(v["starts_at"], loc); !ok {
			parse.Add("starts_at", "is not a date and time like 2026-05-24T09:00")
		}
		if ev.EndsAt, ok = parseLocal(v["ends_at"], loc); !ok {
			parse.Add("ends_at", "is not a date and time like 2026-05-24T17:00")
		}
		verr := merge(parse, s.d.EventFiles.ValidateEvent(&ev))
		var taken int64
		if err := tx.Model(&models.Event{}).Where("slug = ? AND id <> ?", ev.Slug, id).Count(&taken).Error; err != nil {
			return 0, nil, nil, nil, err
		}
		if taken > 0 {
			verr = merge(verr, fieldErr("slug", "is already used by another event"))
		}
		if verr != nil {
			return 0, nil, nil, verr, nil
		}
		if id == 0 {
			if err := tx.Create(&ev).Error; err != nil {
				return 0, nil, nil, nil, err
			}
			after, err := snapshotRow(ctx, tx, "events", "id", ev.ID, "")
			return ev.ID, nil, after, nil, err
		}
		before, err := snapshotRow(ctx, tx, "events", "id", id, "")
		if err != nil {
			return 0, nil, nil, nil, err
		}
		err = tx.Model(&models.Event{}).Where("id = ?", id).Updates(map[string]any{
			"slug": ev.Slug, "title": ev.Title, "description": ev.Description, "hashtag": ev.Hashtag,
			"timezone": ev.Timezone, "starts_at": ev.StartsAt, "ends_at": ev.EndsAt, "posting": ev.Posting,
			"moderation": ev.Moderation, "updated_at": time.Now()}).Error
		if err != nil {
			return 0, nil, nil, nil, err
		}
		after, err := snapshotRow(ctx, tx, "events", "id", id, "")
		return id, before, after, nil, err
	}
	r.Snapshot = func(ctx context.Context, tx *gorm.DB, sc Scope, id int64) (any, error) {
		return snapshotRow(ctx, tx, "events", "id", id, "")
	}
	r.Cascade = func(ctx context.Context, db *gorm.DB, ids []int64) ([]Consequence, error) {
		return countAll(db, []countQuery{
			{"sessions", "SELECT count(*) FROM sessions WHERE event_id IN ?"},
			{"sources", "SELECT count(*) FROM sources WHERE event_id IN ?"},
			{"items", "SELECT count(*) FROM items WHERE event_id IN ?"},
			{"moderation rules", "SELECT count(*) FROM moderation_rules WHERE event_id IN ?"},
			{"organizer and moderator roles", "SELECT count(*) FROM event_roles WHERE event_id IN ?"},
		}, ids)
	}
	r.Actions = []Action{deleteAction(r)}
	return r
}

type countQuery struct{ label, sql string }

// countAll runs each count with ids and lists the non-zero ones.
func countAll(db *gorm.DB, qs []countQuery, ids []int64) ([]Consequence, error) {
	var out []Consequence
	for _, q := range qs {
		var n int64
		if err := db.Raw(q.sql, ids).Scan(&n).Error; err != nil {
			return nil, fmt.Errorf("admin: count %s: %w", q.label, err)
		}
		if n > 0 {
			out = append(out, Consequence{Label: q.label, Count: n})
		}
	}
	return out, nil
}

func choices(vals ...string) []Choice {
	out := make([]Choice, len(vals))
	for i, v := range vals {
		out[i] = Choice{Value: v, Label: v}
	}
	return out
}

func fieldErr(field, msg string) *models.ValidationError {
	v := &models.ValidationError{}
	v.Add(field, "%s", msg)
	return v
}

// merge joins validation errors; nil when there are none.
func merge(vs ...*models.ValidationError) *models.ValidationError {
	out := &models.ValidationError{}
	for _, v := range vs {
		if v != nil {
			out.Fields = append(out.Fields, v.Fields...)
		}
	}
	if len(out.Fields) == 0 {
		return nil
	}
	return out
}
