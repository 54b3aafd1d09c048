package eventfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/backchannel/backchannel/models"
)

// ApplyFile parses an event file and applies it: what `backchannel event
// apply -f FILE` does. A file with errors (Errors) changes nothing.
func ApplyFile(ctx context.Context, db *gorm.DB, filename string, data []byte, actor string) (*Result, error) {
	f, err := Parse(filename, data)
	if err != nil {
		return nil, err
	}
	return Apply(ctx, db, f, actor)
}

// ApplyPath reads the event file at path and applies it (errors name path).
func ApplyPath(ctx context.Context, db *gorm.DB, path, actor string) (*Result, error) {
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
// really created, updated or deleted gets one audit_log row by actor; an
// unchanged object is not written at all (its updated_at stays). Any error
// rolls everything back. An invalid f returns Errors and changes nothing.
func Apply(ctx context.Context, db *gorm.DB, f *File, actor string) (*Result, error) {
	if f == nil {
		return nil, errors.New("eventfile: apply: no file")
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	res := &Result{Slug: f.Event.Slug}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		a := &applier{tx: tx, actor: actor, res: res, now: time.Now().UTC()}
		return a.apply(f)
	})
	if err != nil {
		return nil, fmt.Errorf("eventfile: apply event %q: %w", f.Event.Slug, err)
	}
	return res, nil
}

type applier struct {
	tx    *gorm.DB
	actor string
	res   *Result
	now   time.Time
}

// Snapshots written to the audit log: the fields an event file sets.
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
	Slug     string    `json:"slug"`
	Title    string    `json:"title"`
	Speaker  string    `json:"speaker"`
	Room     string    `json:"room"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
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
	return sessionSnap{s.Slug, s.Title, s.Speaker, s.Room, s.StartsAt.UTC(), s.EndsAt.UTC()}
}

func (a *applier) apply(f *File) error {
	want := f.Event
	want.StartsAt, want.EndsAt = normalize(want.StartsAt), normalize(want.EndsAt)
	ev, created, err := a.lockOrCreateEvent(&want)
	if err != nil {
		return err
	}
	if created {
		if err := a.audit(ActionCreate, ObjectEvent, ev.ID, ev.ID, nil, snapEvent(ev), "created by event apply"); err != nil {
			return err
		}
		a.res.add(ActionCreate, ObjectEvent, ev.Slug, ev.ID, nil)
	} else {
		before := snapEvent(ev)
		after := snapEvent(&want)
		changed := diffFields(before, after)
		if len(changed) > 0 {
			err := a.tx.Model(&models.Event{}).Where("id = ?", ev.ID).Updates(map[string]any{
				"title": want.Title, "description": want.Description, "hashtag": want.Hashtag,
				"timezone": want.Timezone, "starts_at": want.StartsAt, "ends_at": want.EndsAt,
				"posting": want.Posting, "moderation": want.Moderation, "updated_at": a.now,
			}).Error
			if err != nil {
				return fmt.Errorf("update event: %w", err)
			}
			if err := a.audit(ActionUpdate, ObjectEvent, ev.ID, ev.ID, before, after, "event apply changed "+joinFields(changed)); err != nil {
				return err
			}
			a.res.add(ActionUpdate, ObjectEvent, ev.Slug, ev.ID, changed)
		}
	}
	a.res.EventID = ev.ID
	if err := a.sessions(ev.ID, f.Sessions); err != nil {
		return err
	}
	return a.sources(ev.ID, f.Sources)
}

// lockOrCreateEvent returns the event with want's slug, locked for the
// rest of the transaction, creating it from want if it does not exist. Two
// applies of the same new event run one after the other (the insert waits
// on the unique slug) instead of one failing.
func (a *applier) lockOrCreateEvent(want *models.Event) (ev *models.Event, created bool, err error) {
	lock := func() (*models.Event, error) {
		var ev models.Event
		err := a.tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("slug = ?", want.Slug).Take(&ev).Error
		if err != nil {
			return nil, err
		}
		return &ev, nil
	}
	ev, err = lock()
	if err == nil || !errors.Is(err, gorm.ErrRecordNotFound) {
		if err != nil {
			return nil, false, fmt.Errorf("load event: %w", err)
		}
		return ev, false, nil
	}
	ev = &models.Event{Slug: want.Slug, Title: want.Title, Description: want.Description, Hashtag: want.Hashtag,
		Timezone: want.Timezone, StartsAt: want.StartsAt, EndsAt: want.EndsAt, Posting: want.Posting,
		Moderation: want.Moderation, CreatedAt: a.now, UpdatedAt: a.now}
	ins := a.tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "slug"}}, DoNothing: true}).Create(ev)
	if ins.Error != nil {
		return nil, false, fmt.Errorf("create event: %w", ins.Error)
	}
	if ins.RowsAffected == 1 {
		return ev, true, nil
	}
	if ev, err = lock(); err != nil { // created meanwhile by another apply
		return nil, false, fmt.Errorf("load event: %w", err)
	}
	return ev, false, nil
}

func (a *applier) sessions(eventID int64, want []models.Session) error {
	var have []models.Session
	if err := a.tx.Where("event_id = ?", eventID).Order("id").Find(&have).Error; err != nil {
		return fmt.Errorf("load sessions: %w", err)
	}
	bySlug := make(map[string]*models.Session, len(have))
	for i := range have {
		bySlug[have[i].Slug] = &have[i]
	}
	keep := map[string]bool{}
	for _, s := range want {
		keep[s.Slug] = true
	}
	for i := range have {
		s := &have[i]
		if keep[s.Slug] {
			continue
		}
		// Logged before it goes, as Django's admin does.
		if err := a.audit(ActionDelete, ObjectSession, s.ID, eventID, snapSession(s), nil, "deleted by event apply: not in the file"); err != nil {
			return err
		}
		if err := a.tx.Delete(&models.Session{}, s.ID).Error; err != nil {
			return fmt.Errorf("delete session %q: %w", s.Slug, err)
		}
		a.res.add(ActionDelete, ObjectSession, s.Slug, s.ID, nil)
	}
	for _, w := range want {
		w.StartsAt, w.EndsAt = normalize(w.StartsAt), normalize(w.EndsAt)
		cur, ok := bySlug[w.Slug]
		if !ok {
			s := models.Session{EventID: eventID, Slug: w.Slug, Title: w.Title, Speaker: w.Speaker, Room: w.Room,
				StartsAt: w.StartsAt, EndsAt: w.EndsAt, CreatedAt: a.now, UpdatedAt: a.now}
			if err := a.tx.Create(&s).Error; err != nil {
				return fmt.Errorf("create session %q: %w", w.Slug, err)
			}
			if err := a.audit(ActionCreate, ObjectSession, s.ID, eventID, nil, snapSession(&s), "created by event apply"); err != nil {
				return err
			}
			a.res.add(ActionCreate, ObjectSession, s.Slug, s.ID, nil)
			continue
		}
		before, after := snapSession(cur), snapSession(&w)
		changed := diffFields(before, after)
		if len(changed) == 0 {
			continue
		}
		err := a.tx.Model(&models.Session{}).Where("id = ?", cur.ID).Updates(map[string]any{
			"title": w.Title, "speaker": w.Speaker, "room": w.Room,
			"starts_at": w.StartsAt, "ends_at": w.EndsAt, "updated_at": a.now,
		}).Error
		if err != nil {
			return fmt.Errorf("update session %q: %w", w.Slug, err)
		}
		if err := a.audit(ActionUpdate, ObjectSession, cur.ID, eventID, before, after, "event apply changed "+joinFields(changed)); err != nil {
			return err
		}
		a.res.add(ActionUpdate, ObjectSession, cur.Slug, cur.ID, changed)
	}
	return nil
}

func (a *applier) sources(eventID int64, want []Source) error {
	var have []models.Source
	if err := a.tx.Where("event_id = ?", eventID).Order("id").Find(&have).Error; err != nil {
		return fmt.Errorf("load sources: %w", err)
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
		if err := a.audit(ActionDelete, ObjectSource, s.ID, eventID, snapSource(s), nil, "deleted by event apply: not in the file"); err != nil {
			return err
		}
		if err := a.tx.Delete(&models.Source{}, s.ID).Error; err != nil {
			return fmt.Errorf("delete source %q: %w", s.Key, err)
		}
		a.res.add(ActionDelete, ObjectSource, s.Key, s.ID, nil)
	}
	for _, w := range want {
		cur, ok := byKey[w.Key]
		if !ok {
			s := models.Source{EventID: eventID, Kind: w.Kind, Key: w.Key, Config: w.Config, Enabled: w.Enabled,
				CreatedAt: a.now, UpdatedAt: a.now}
			// Enabled false is GORM's zero value: say which columns to write.
			if err := a.tx.Select("EventID", "Kind", "Key", "Config", "Enabled", "CreatedAt", "UpdatedAt").Create(&s).Error; err != nil {
				return fmt.Errorf("create source %q: %w", w.Key, err)
			}
			if err := a.audit(ActionCreate, ObjectSource, s.ID, eventID, nil, snapSource(&s), "created by event apply"); err != nil {
				return err
			}
			a.res.add(ActionCreate, ObjectSource, s.Key, s.ID, nil)
			continue
		}
		before := snapSource(cur)
		after := sourceSnap{Kind: w.Kind, Key: w.Key, Enabled: w.Enabled, Config: canonicalJSON(w.Config)}
		changed := diffFields(before, after)
		if len(changed) == 0 {
			continue
		}
		err := a.tx.Model(&models.Source{}).Where("id = ?", cur.ID).Updates(map[string]any{
			"kind": w.Kind, "config": string(w.Config), "enabled": w.Enabled, "updated_at": a.now,
		}).Error
		if err != nil {
			return fmt.Errorf("update source %q: %w", w.Key, err)
		}
		if err := a.audit(ActionUpdate, ObjectSource, cur.ID, eventID, before, after, "event apply changed "+joinFields(changed)); err != nil {
			return err
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

// audit writes one audit_log row; before or after is nil for a create or a delete.
func (a *applier) audit(action, objectType string, objectID, eventID int64, before, after any, message string) error {
	entry := models.AuditEntry{Actor: a.actor, Action: action, ObjectType: objectType,
		ObjectID: strconv.FormatInt(objectID, 10), EventID: &eventID, Message: message, CreatedAt: a.now}
	var err error
	if before != nil {
		if entry.Before, err = json.Marshal(before); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
	}
	if after != nil {
		if entry.After, err = json.Marshal(after); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
	}
	if err := a.tx.Create(&entry).Error; err != nil {
		return fmt.Errorf("audit %s %s %d: %w", action, objectType, objectID, err)
	}
	return nil
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
		return []string{"slug", "title", "speaker", "room", "starts_at", "ends_at"}
	case sourceSnap:
		return []string{"kind", "key", "enabled", "config"}
	}
	return nil
}

func joinFields(fields []string) string { return strings.Join(fields, ", ") }
