package eventfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// ApplyFile parses an event file and applies it: what `backchannel event
// apply -f FILE` and the admin's import page do. A file with errors
// (Errors) changes nothing.
func ApplyFile(ctx context.Context, db *gorm.DB, filename string, data []byte, actor store.Actor) (*Result, error) {
	f, err := Parse(filename, data)
	if err != nil {
		return nil, err
	}
	return Apply(ctx, db, f, actor)
}

// ApplyPath reads the event file at path and applies it (errors name path).
func ApplyPath(ctx context.Context, db *gorm.DB, path string, actor store.Actor) (*Result, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	return ApplyFile(ctx, db, path, data, actor)
}

// readLimited reads a file of at most MaxFileSize (+1 byte, so Parse can
// report a file that is too large).
func readLimited(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("eventfile: %w", err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("eventfile: read %s: %w", path, err)
	}
	return data, nil
}

// Apply makes the database hold what f describes, in one transaction: the
// event is upserted by slug, its sessions by slug and its sources by key;
// sessions and sources of the event absent from f are deleted. Each object
// really created, updated or deleted gets one audit_log row by actor
// (store.Audit, with the row's snapshot before and after); an unchanged
// object is not written at all (its updated_at stays). Any error rolls
// everything back. An invalid f returns Errors and changes nothing.
func Apply(ctx context.Context, db *gorm.DB, f *File, actor store.Actor) (*Result, error) {
	if f == nil {
		return nil, errors.New("eventfile: apply: no file")
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var res *Result
	err := store.New(db).Tx(ctx, func(tx *store.Store) error {
		res = &Result{Slug: f.Event.Slug}
		a := &applier{ctx: ctx, tx: tx, actor: actor, res: res, now: time.Now().UTC()}
		return a.apply(f)
	})
	if err != nil {
		return nil, fmt.Errorf("eventfile: apply event %q: %w", f.Event.Slug, err)
	}
	return res, nil
}

type applier struct {
	ctx   context.Context
	tx    *store.Store
	actor store.Actor
	res   *Result
	now   time.Time
	// via names the operation in audit messages ("" reads "event apply").
	via string
}

// what names the operation in audit messages.
func (a *applier) what() string {
	if a.via == "" {
		return "event apply"
	}
	return a.via
}

// What an event file sets of each object: two objects whose snaps are
// equal need no write. (The audit log keeps whole rows: store.Snapshot.)
type eventSnap struct {
	Slug        string    `json:"slug"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Hashtag     string    `json:"hashtag"`
	Timezone    string    `json:"timezone"`
	StartsAt    time.Time `json:"starts_at"`
	EndsAt      time.Time `json:"ends_at"`
	Posting     string    `json:"posting"`
	Moderation  string    `json:"moderation"`
}

type sessionSnap struct {
	Slug           string    `json:"slug"`
	Title          string    `json:"title"`
	Speaker        string    `json:"speaker"`
	SpeakerHandles []string  `json:"speaker_handles"`
	Room           string    `json:"room"`
	Track          string    `json:"track"`
	Tags           []string  `json:"tags"`
	ScheduleID     string    `json:"schedule_id"`
	StartsAt       time.Time `json:"starts_at"`
	EndsAt         time.Time `json:"ends_at"`
}

type roomSnap struct {
	Slug     string `json:"slug"`
	Name     string `json:"name"`
	Position int    `json:"position"`
}

type sourceSnap struct {
	Kind    string          `json:"kind"`
	Key     string          `json:"key"`
	Enabled bool            `json:"enabled"`
	Config  json.RawMessage `json:"config"`
}

func snapEvent(e *models.Event) eventSnap {
	return eventSnap{e.Slug, e.Title, e.Description, e.Hashtag, e.Timezone,
		e.StartsAt.UTC(), e.EndsAt.UTC(), e.Posting, e.Moderation}
}

func snapSession(s *models.Session) sessionSnap {
	return sessionSnap{s.Slug, s.Title, s.Speaker, nonNil(s.SpeakerHandles), s.RoomSlug(), s.Track, nonNil(s.Tags),
		s.ScheduleID, s.StartsAt.UTC(), s.EndsAt.UTC()}
}

func nonNil(l models.StringList) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func (a *applier) apply(f *File) error {
	want := f.Event
	want.StartsAt, want.EndsAt = normalize(want.StartsAt), normalize(want.EndsAt)
	ev, created, err := a.lockOrCreateEvent(&want)
	if err != nil {
		return err
	}
	if created {
		if err := a.created(ObjectEvent, "events", ev.ID, ev.ID); err != nil {
			return err
		}
		a.res.add(ActionCreate, ObjectEvent, ev.Slug, ev.ID, nil)
	} else {
		changed := diffFields(snapEvent(ev), snapEvent(&want))
		if len(changed) > 0 {
			err := a.updated(ObjectEvent, "events", ev.ID, ev.ID, changed, map[string]any{
				"title": want.Title, "description": want.Description, "hashtag": want.Hashtag,
				"timezone": want.Timezone, "starts_at": want.StartsAt, "ends_at": want.EndsAt,
				"posting": want.Posting, "moderation": want.Moderation, "updated_at": a.now,
			})
			if err != nil {
				return err
			}
			a.res.add(ActionUpdate, ObjectEvent, ev.Slug, ev.ID, changed)
		}
	}
	a.res.EventID = ev.ID
	rooms, err := a.rooms(ev.ID, f.Rooms)
	if err != nil {
		return err
	}
	if err := a.sessions(ev.ID, f.Sessions, rooms, true); err != nil {
		return err
	}
	if err := a.dropRooms(ev.ID, rooms); err != nil {
		return err
	}
	return a.sources(ev.ID, f.Sources)
}

// rooms creates or updates want's rooms by slug and returns every room of
// the event by slug, each marked with whether want keeps it.
func (a *applier) rooms(eventID int64, want []models.Room) (map[string]*keptRoom, error) {
	have, err := a.tx.RoomsOfEvent(a.ctx, eventID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*keptRoom, len(have))
	for i := range have {
		out[have[i].Slug] = &keptRoom{Room: have[i]}
	}
	for i, w := range want {
		w.Position = i
		cur, ok := out[w.Slug]
		if !ok {
			id, err := a.tx.InsertRow(a.ctx, "rooms", "id", map[string]any{"event_id": eventID, "slug": w.Slug,
				"name": w.Name, "position": w.Position, "created_at": a.now, "updated_at": a.now})
			if err != nil {
				return nil, fmt.Errorf("create room %q: %w", w.Slug, err)
			}
			if err := a.created(ObjectRoom, "rooms", id, eventID); err != nil {
				return nil, err
			}
			a.res.add(ActionCreate, ObjectRoom, w.Slug, id, nil)
			w.ID, w.EventID = id, eventID
			out[w.Slug] = &keptRoom{Room: w, keep: true}
			continue
		}
		cur.keep = true
		changed := diffFields(roomSnap{cur.Slug, cur.Name, cur.Position}, roomSnap{w.Slug, w.Name, w.Position})
		if len(changed) == 0 {
			continue
		}
		if err := a.updated(ObjectRoom, "rooms", cur.ID, eventID, changed, map[string]any{
			"name": w.Name, "position": w.Position, "updated_at": a.now}); err != nil {
			return nil, fmt.Errorf("update room %q: %w", w.Slug, err)
		}
		a.res.add(ActionUpdate, ObjectRoom, w.Slug, cur.ID, changed)
		cur.Name, cur.Position = w.Name, w.Position
	}
	return out, nil
}

// keptRoom is a room of the event and whether the applied file keeps it.
type keptRoom struct {
	models.Room
	keep bool
}

// dropRooms deletes the rooms the file no longer has (their sessions are
// updated first, so none points at them).
func (a *applier) dropRooms(eventID int64, rooms map[string]*keptRoom) error {
	slugs := make([]string, 0, len(rooms))
	for slug := range rooms {
		slugs = append(slugs, slug)
	}
	sort.Strings(slugs)
	for _, slug := range slugs {
		r := rooms[slug]
		if r.keep {
			continue
		}
		if err := a.deleted(ObjectRoom, "rooms", r.ID, eventID); err != nil {
			return fmt.Errorf("delete room %q: %w", slug, err)
		}
		a.res.add(ActionDelete, ObjectRoom, slug, r.ID, nil)
	}
	return nil
}

// lockOrCreateEvent returns the event with want's slug, locked for the
// rest of the transaction, creating it from want if it does not exist. Two
// applies of the same new event run one after the other (the insert waits
// on the unique slug) instead of one failing.
func (a *applier) lockOrCreateEvent(want *models.Event) (ev *models.Event, created bool, err error) {
	ev, err = a.tx.LockEventBySlug(a.ctx, want.Slug)
	if err == nil || !errors.Is(err, models.ErrNotFound) {
		return ev, false, err
	}
	ev = &models.Event{Slug: want.Slug, Title: want.Title, Description: want.Description, Hashtag: want.Hashtag,
		Timezone: want.Timezone, StartsAt: want.StartsAt, EndsAt: want.EndsAt, Posting: want.Posting,
		Moderation: want.Moderation, CreatedAt: a.now, UpdatedAt: a.now}
	if created, err = a.tx.CreateEventIfAbsent(a.ctx, ev); err != nil || created {
		return ev, created, err
	}
	ev, err = a.tx.LockEventBySlug(a.ctx, want.Slug) // created meanwhile by another apply
	return ev, false, err
}

// created audits a row just inserted.
func (a *applier) created(object, table string, id, eventID int64) error {
	after, err := a.tx.Snapshot(a.ctx, table, id, "")
	if err != nil {
		return err
	}
	return a.tx.Audit(a.ctx, store.Change{Actor: a.actor, Action: ActionCreate, ObjectType: object, ObjectID: store.ID(id),
		EventID: eventID, After: after, Message: "created by " + a.what()})
}

// updated writes cols to a row and audits it with its snapshots.
func (a *applier) updated(object, table string, id, eventID int64, changed []string, cols map[string]any) error {
	before, err := a.tx.Snapshot(a.ctx, table, id, "")
	if err != nil {
		return err
	}
	if err := a.tx.UpdateRow(a.ctx, table, "id", id, store.Cond{}, cols); err != nil {
		return err
	}
	after, err := a.tx.Snapshot(a.ctx, table, id, "")
	if err != nil {
		return err
	}
	return a.tx.Audit(a.ctx, store.Change{Actor: a.actor, Action: ActionUpdate, ObjectType: object, ObjectID: store.ID(id),
		EventID: eventID, Before: before, After: after, Message: a.what() + " changed " + joinFields(changed)})
}

// deleted audits a row, then deletes it: logged before it goes, as
// Django's admin does.
func (a *applier) deleted(object, table string, id, eventID int64) error {
	before, err := a.tx.Snapshot(a.ctx, table, id, "")
	if err != nil {
		return err
	}
	if err := a.tx.Audit(a.ctx, store.Change{Actor: a.actor, Action: ActionDelete, ObjectType: object, ObjectID: store.ID(id),
		EventID: eventID, Before: before, Message: "deleted by " + a.what() + ": not in the file"}); err != nil {
		return err
	}
	return a.tx.DeleteRow(a.ctx, table, "id", id, store.Cond{})
}

// sessions creates, updates and (with drop) deletes the event's sessions to
// match want, by slug; rooms are the event's rooms by slug.
func (a *applier) sessions(eventID int64, want []models.Session, rooms map[string]*keptRoom, drop bool) error {
	have, err := a.tx.SessionsOfEvent(a.ctx, eventID)
	if err != nil {
		return err
	}
	byID := map[int64]*models.Room{}
	for _, r := range rooms {
		byID[r.ID] = &r.Room
	}
	bySlug := make(map[string]*models.Session, len(have))
	for i := range have {
		if id := have[i].RoomID; id != nil {
			have[i].Room = byID[*id]
		}
		bySlug[have[i].Slug] = &have[i]
	}
	keep := map[string]bool{}
	for _, s := range want {
		keep[s.Slug] = true
	}
	for i := range have {
		s := &have[i]
		if keep[s.Slug] || !drop {
			continue
		}
		if err := a.deleted(ObjectSession, "sessions", s.ID, eventID); err != nil {
			return fmt.Errorf("delete session %q: %w", s.Slug, err)
		}
		a.res.add(ActionDelete, ObjectSession, s.Slug, s.ID, nil)
	}
	for _, w := range want {
		w.StartsAt, w.EndsAt = normalize(w.StartsAt), normalize(w.EndsAt)
		var roomID *int64
		if slug := w.RoomSlug(); slug != "" {
			r, ok := rooms[slug]
			if !ok {
				return fmt.Errorf("session %q: no room %q", w.Slug, slug)
			}
			roomID = &r.ID
		}
		cols := map[string]any{"title": w.Title, "speaker": w.Speaker, "room_id": roomID, "track": w.Track,
			"tags": w.Tags, "speaker_handles": w.SpeakerHandles, "schedule_id": w.ScheduleID,
			"starts_at": w.StartsAt, "ends_at": w.EndsAt, "updated_at": a.now}
		cur, ok := bySlug[w.Slug]
		if !ok {
			cols["event_id"], cols["slug"], cols["created_at"] = eventID, w.Slug, a.now
			id, err := a.tx.InsertRow(a.ctx, "sessions", "id", cols)
			if err != nil {
				return fmt.Errorf("create session %q: %w", w.Slug, err)
			}
			if err := a.created(ObjectSession, "sessions", id, eventID); err != nil {
				return err
			}
			a.res.add(ActionCreate, ObjectSession, w.Slug, id, nil)
			continue
		}
		changed := diffFields(snapSession(cur), snapSession(&w))
		if len(changed) == 0 {
			continue
		}
		err := a.updated(ObjectSession, "sessions", cur.ID, eventID, changed, cols)
		if err != nil {
			return fmt.Errorf("update session %q: %w", w.Slug, err)
		}
		a.res.add(ActionUpdate, ObjectSession, cur.Slug, cur.ID, changed)
	}
	return nil
}

func (a *applier) sources(eventID int64, want []Source) error {
	have, err := a.tx.SourcesOfEvent(a.ctx, eventID)
	if err != nil {
		return err
	}
	byKey := make(map[string]*models.Source, len(have))
	for i := range have {
		byKey[have[i].Key] = &have[i]
	}
	keep := map[string]bool{}
	for _, s := range want {
		keep[s.Key] = true
	}
	for i := range have {
		s := &have[i]
		if keep[s.Key] {
			continue
		}
		if err := a.deleted(ObjectSource, "sources", s.ID, eventID); err != nil {
			return fmt.Errorf("delete source %q: %w", s.Key, err)
		}
		a.res.add(ActionDelete, ObjectSource, s.Key, s.ID, nil)
	}
	for _, w := range want {
		cur, ok := byKey[w.Key]
		if !ok {
			id, err := a.tx.InsertRow(a.ctx, "sources", "id", map[string]any{"event_id": eventID, "kind": w.Kind,
				"key": w.Key, "config": string(w.Config), "enabled": w.Enabled, "created_at": a.now, "updated_at": a.now})
			if err != nil {
				return fmt.Errorf("create source %q: %w", w.Key, err)
			}
			if err := a.created(ObjectSource, "sources", id, eventID); err != nil {
				return err
			}
			a.res.add(ActionCreate, ObjectSource, w.Key, id, nil)
			continue
		}
		after := sourceSnap{Kind: w.Kind, Key: w.Key, Enabled: w.Enabled, Config: canonicalJSON(w.Config)}
		changed := diffFields(snapSource(cur), after)
		if len(changed) == 0 {
			continue
		}
		err := a.updated(ObjectSource, "sources", cur.ID, eventID, changed, map[string]any{
			"kind": w.Kind, "config": string(w.Config), "enabled": w.Enabled, "updated_at": a.now,
		})
		if err != nil {
			return fmt.Errorf("update source %q: %w", w.Key, err)
		}
		a.res.add(ActionUpdate, ObjectSource, cur.Key, cur.ID, changed)
	}
	return nil
}

func snapSource(s *models.Source) sourceSnap {
	return sourceSnap{Kind: s.Kind, Key: s.Key, Enabled: s.Enabled, Config: canonicalJSON(s.Config)}
}

// canonicalJSON re-encodes JSON with sorted keys and no spaces, so configs
// compare by meaning (jsonb reorders keys); invalid JSON is kept as is.
func canonicalJSON(b json.RawMessage) json.RawMessage {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return b
	}
	out, err := json.Marshal(v)
	if err != nil {
		return b
	}
	return out
}

// diffFields names the JSON fields whose values differ between two snapshots
// of the same type, in field order.
func diffFields(before, after any) []string {
	var b, a map[string]json.RawMessage
	bb, _ := json.Marshal(before)
	ab, _ := json.Marshal(after)
	_ = json.Unmarshal(bb, &b)
	_ = json.Unmarshal(ab, &a)
	var out []string
	for _, name := range fieldOrder(before) {
		if !bytes.Equal(b[name], a[name]) {
			out = append(out, name)
		}
	}
	return out
}

// fieldOrder lists a snapshot's JSON fields in declaration order.
func fieldOrder(snap any) []string {
	switch snap.(type) {
	case eventSnap:
		return []string{"slug", "title", "description", "hashtag", "timezone", "starts_at", "ends_at", "posting", "moderation"}
	case sessionSnap:
		return []string{"slug", "title", "speaker", "speaker_handles", "room", "track", "tags", "schedule_id", "starts_at", "ends_at"}
	case roomSnap:
		return []string{"slug", "name", "position"}
	case sourceSnap:
		return []string{"kind", "key", "enabled", "config"}
	}
	return nil
}

func joinFields(fields []string) string { return strings.Join(fields, ", ") }
