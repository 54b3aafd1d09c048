package resources

import (
	"context"
	"strconv"

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
			{Key: "room", Label: "Room", SQL: "coalesce((SELECT r.name FROM rooms r WHERE r.id = t.room_id), '')", Sortable: true},
			{Key: "track", Label: "Track", SQL: "t.track", Sortable: true},
			{Key: "starts", Label: "Starts", SQL: "to_char(t.starts_at AT TIME ZONE (SELECT timezone FROM events e WHERE e.id = t.event_id), 'YYYY-MM-DD HH24:MI')", Sortable: true},
			{Key: "ends", Label: "Ends", SQL: "to_char(t.ends_at AT TIME ZONE (SELECT timezone FROM events e WHERE e.id = t.event_id), 'HH24:MI')"},
			{Key: "tags", Label: "Tags", SQL: "coalesce((SELECT string_agg(x, ', ') FROM jsonb_array_elements_text(t.tags) x), '')"},
			{Key: "items", Label: "Items", SQL: "(SELECT count(*) FROM items i WHERE i.event_id = t.event_id AND i.session_id = t.id)"},
		},
		Search:      []string{"t.title", "t.slug", "t.speaker", "t.track", "t.tags::text", "t.speaker_handles::text"},
		DefaultSort: "starts",
		PerPage:     100,
		ViewPerm:    auth.PermEventManage, EditPerm: auth.PermEventManage, CreatePerm: auth.PermEventManage, DeletePerm: auth.PermEventManage,
		Fields: []crud.Field{
			{Name: "slug", Label: "Slug", Type: "text", Required: true, Help: "a-z, 0-9 and hyphens, unique in the event."},
			{Name: "title", Label: "Title", Type: "text", Required: true},
			{Name: "speaker", Label: "Speaker", Type: "text"},
			{Name: "speaker_handles", Label: "Speakers' handles", Type: "list",
				Help: "Comma-separated: Mastodon @user@host, Bluesky handle.bsky.social, X @user. A post a speaker writes, or that mentions one, belongs to this session."},
			{Name: "room_id", Label: "Room", Type: "select", ChoicesOf: roomChoices,
				Help: "Sessions in the same room may not overlap; in different rooms they may. Rooms are listed under Rooms."},
			{Name: "track", Label: "Track", Type: "text"},
			{Name: "tags", Label: "Tags", Type: "list",
				Help: "Comma-separated hashtags or words (e.g. aeakeynote): a post carrying one belongs to this session."},
			{Name: "starts_at", Label: "Starts at", Type: "datetime", Required: true, Help: "In the event's time zone."},
			{Name: "ends_at", Label: "Ends at", Type: "datetime", Required: true, Help: "In the event's time zone."},
			{Name: "schedule_id", Label: "Schedule id", Type: "text",
				Help: "The session's id in the imported schedule (pretalx, frab, iCalendar); a re-import finds the session by it."},
		},
		Cascade: []store.AdminCountQuery{
			{Label: "items kept but no longer assigned to a session", SQL: "SELECT count(*) FROM items WHERE session_id IN ?"},
		},
		Clean: cleanSession,
	}
}

// roomChoices are the scope event's rooms, and none.
func roomChoices(sc crud.Scope) []crud.Choice {
	out := []crud.Choice{{Value: "", Label: "— no room —"}}
	if sc.Event == nil {
		return out
	}
	for _, r := range sc.Event.Rooms {
		out = append(out, crud.Choice{Value: strconv.FormatInt(r.ID, 10), Label: r.Name})
	}
	return out
}

// cleanSession validates a session as an event file's
// (eventfile.ValidateSession: inside the event, no overlap in its room).
func cleanSession(ctx context.Context, st *store.Store, sc crud.Scope, id int64, v crud.Values) (crud.Columns, *models.ValidationError, error) {
	ss := models.Session{ID: id, EventID: sc.EventID(), Slug: v["slug"], Title: v["title"], Speaker: v["speaker"],
		Track: v["track"], ScheduleID: v["schedule_id"],
		Tags: crud.SplitList(v["tags"]), SpeakerHandles: crud.SplitList(v["speaker_handles"])}
	parse := &models.ValidationError{}
	if raw := v["room_id"]; raw != "" {
		rid, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || sc.Event.RoomByID(&rid) == nil {
			parse.Add("room_id", "is not a room of this event")
		} else {
			ss.RoomID = &rid
		}
	}
	loc := sc.Event.Location()
	crud.ParseTime(v, "starts_at", loc, &ss.StartsAt, parse)
	crud.ParseTime(v, "ends_at", loc, &ss.EndsAt, parse)
	others, err := st.SessionsOfEvent(ctx, sc.EventID())
	if err != nil {
		return nil, nil, err
	}
	ss.Room = sc.Event.RoomByID(ss.RoomID)
	for i := range others {
		others[i].Room = sc.Event.RoomByID(others[i].RoomID)
	}
	if verr := crud.Merge(parse, eventfile.ValidateSession(sc.Event, &ss, others)); verr != nil {
		return nil, verr, nil
	}
	return crud.Columns{"slug": ss.Slug, "title": ss.Title, "speaker": ss.Speaker, "room_id": ss.RoomID,
		"track": ss.Track, "tags": ss.Tags, "speaker_handles": ss.SpeakerHandles, "schedule_id": ss.ScheduleID,
		"starts_at": ss.StartsAt, "ends_at": ss.EndsAt}, nil, nil
}

// Rooms declares one event's rooms (organizers): the live page, the wall and
// the archive follow one room by its slug.
func Rooms() *crud.Resource {
	return &crud.Resource{
		Key: "rooms", Singular: "room", Plural: "Rooms", ObjectType: "room",
		Table: "rooms", Kind: crud.InEvent, UpdatedAt: true, Title: "t.name || ' (' || t.slug || ')'",
		Columns: []crud.Column{
			{Key: "position", Label: "#", SQL: "t.position", Sortable: true},
			{Key: "name", Label: "Name", SQL: "t.name", Sortable: true, Link: true},
			{Key: "slug", Label: "Slug", SQL: "t.slug", Sortable: true},
			{Key: "sessions", Label: "Sessions", SQL: "(SELECT count(*) FROM sessions s WHERE s.room_id = t.id)"},
		},
		Search:      []string{"t.name", "t.slug"},
		DefaultSort: "position",
		PerPage:     100,
		ViewPerm:    auth.PermEventManage, EditPerm: auth.PermEventManage, CreatePerm: auth.PermEventManage, DeletePerm: auth.PermEventManage,
		Fields: []crud.Field{
			{Name: "slug", Label: "Slug", Type: "text", Required: true, Help: "Used in URLs (/events/{event}/wall?room=room-b): a-z, 0-9 and hyphens."},
			{Name: "name", Label: "Name", Type: "text", Required: true},
			{Name: "position", Label: "Position", Type: "text", Help: "Rooms are listed in this order (0 first)."},
		},
		Cascade: []store.AdminCountQuery{
			{Label: "sessions kept but no longer in a room", SQL: "SELECT count(*) FROM sessions WHERE room_id IN ?"},
		},
		Clean: cleanRoom,
	}
}

// cleanRoom validates a room as an event file's (eventfile.ValidateRoom),
// its slug unique in the event.
func cleanRoom(ctx context.Context, st *store.Store, sc crud.Scope, id int64, v crud.Values) (crud.Columns, *models.ValidationError, error) {
	r := models.Room{Slug: v["slug"], Name: v["name"]}
	verr := eventfile.ValidateRoom(&r)
	if p := v["position"]; p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 10000 {
			verr = crud.Merge(verr, crud.FieldError("position", "must be a whole number from 0 to 10000"))
		}
		r.Position = n
	}
	taken, err := st.RowExists(ctx, "rooms", store.Where("event_id = ? AND slug = ? AND id <> ?", sc.EventID(), r.Slug, id))
	if err != nil {
		return nil, nil, err
	}
	if taken {
		verr = crud.Merge(verr, crud.FieldError("slug", "is already used by another room of this event"))
	}
	if verr != nil {
		return nil, verr, nil
	}
	return crud.Columns{"slug": r.Slug, "name": r.Name, "position": r.Position}, nil, nil
}
