package admin

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
)

func (s *server) sessionsResource() *Resource {
	r := &Resource{
		Key: "sessions", Singular: "session", Plural: "Sessions", ObjectType: "session",
		Table: "sessions", IDColumn: "id", EventScoped: true, Title: "t.title || ' (' || t.slug || ')'",
		Columns: []Column{
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
		ViewPerm:    PermEventManage, EditPerm: PermEventManage, CreatePerm: PermEventManage, DeletePerm: PermEventManage,
		Fields: []Field{
			{Name: "slug", Label: "Slug", Type: "text", Required: true, Help: "a-z, 0-9 and hyphens, unique in the event."},
			{Name: "title", Label: "Title", Type: "text", Required: true},
			{Name: "speaker", Label: "Speaker", Type: "text"},
			{Name: "room", Label: "Room", Type: "text", Help: "Sessions in the same room may not overlap."},
			{Name: "starts_at", Label: "Starts at", Type: "datetime", Required: true, Help: "In the event's time zone."},
			{Name: "ends_at", Label: "Ends at", Type: "datetime", Required: true, Help: "In the event's time zone."},
		},
	}
	r.Load = func(ctx context.Context, db *gorm.DB, sc Scope, id int64) (Values, error) {
		var ss models.Session
		if err := db.Where("id = ? AND event_id = ?", id, sc.EventID()).Take(&ss).Error; err != nil {
			return nil, notFound(err, "session", id)
		}
		loc := sc.Event.Location()
		return Values{"slug": ss.Slug, "title": ss.Title, "speaker": ss.Speaker, "room": ss.Room,
			"starts_at": localInput(ss.StartsAt, loc), "ends_at": localInput(ss.EndsAt, loc)}, nil
	}
	r.Save = func(ctx context.Context, tx *gorm.DB, sc Scope, id int64, v Values) (int64, any, any, *models.ValidationError, error) {
		ss := models.Session{ID: id, EventID: sc.EventID(), Slug: v["slug"], Title: v["title"], Speaker: v["speaker"], Room: v["room"]}
		loc := sc.Event.Location()
		parse := &models.ValidationError{}
		var ok bool
		if ss.StartsAt, ok = parseLocal(v["starts_at"], loc); !ok {
			parse.Add("starts_at", "is not a date and time like 2026-05-24T09:00")
		}
		if ss.EndsAt, ok = parseLocal(v["ends_at"], loc); !ok {
			parse.Add("ends_at", "is not a date and time like 2026-05-24T10:00")
		}
		var others []models.Session
		if err := tx.Where("event_id = ?", sc.EventID()).Find(&others).Error; err != nil {
			return 0, nil, nil, nil, err
		}
		if verr := merge(parse, s.d.EventFiles.ValidateSession(sc.Event, &ss, others)); verr != nil {
			return 0, nil, nil, verr, nil
		}
		if id == 0 {
			if err := tx.Create(&ss).Error; err != nil {
				return 0, nil, nil, nil, err
			}
			after, err := snapshotRow(ctx, tx, "sessions", "id", ss.ID, "")
			return ss.ID, nil, after, nil, err
		}
		before, err := snapshotRow(ctx, tx, "sessions", "id", id, "event_id = ?", sc.EventID())
		if err != nil {
			return 0, nil, nil, nil, err
		}
		err = tx.Model(&models.Session{}).Where("id = ? AND event_id = ?", id, sc.EventID()).Updates(map[string]any{
			"slug": ss.Slug, "title": ss.Title, "speaker": ss.Speaker, "room": ss.Room,
			"starts_at": ss.StartsAt, "ends_at": ss.EndsAt, "updated_at": time.Now()}).Error
		if err != nil {
			return 0, nil, nil, nil, err
		}
		after, err := snapshotRow(ctx, tx, "sessions", "id", id, "")
		return id, before, after, nil, err
	}
	r.Snapshot = func(ctx context.Context, tx *gorm.DB, sc Scope, id int64) (any, error) {
		return snapshotRow(ctx, tx, "sessions", "id", id, "event_id = ?", sc.EventID())
	}
	r.Cascade = func(ctx context.Context, db *gorm.DB, ids []int64) ([]Consequence, error) {
		return countAll(db, []countQuery{
			{"items kept but no longer assigned to a session", "SELECT count(*) FROM items WHERE session_id IN ?"},
		}, ids)
	}
	r.Actions = []Action{deleteAction(r)}
	return r
}

// notFound turns gorm's missing row into models.ErrNotFound.
func notFound(err error, what string, id int64) error {
	if err == gorm.ErrRecordNotFound {
		return models.NotFound(what, id)
	}
	return fmt.Errorf("admin: load %s %d: %w", what, id, err)
}
