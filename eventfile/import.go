package eventfile

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/timetable"
)

// ImportOptions says how ImportSchedule runs.
type ImportOptions struct {
	// Actor is who imports (the CLI, or the admin's signed-in account);
	// every audit row of the import carries it.
	Actor store.Actor
	// DryRun computes everything the import would do, audit rows
	// included, and rolls it back: the preview.
	DryRun bool
	// Source names where the schedule came from: a file name, or the URL
	// it was fetched from (kept on the event for a re-sync).
	Source string
}

// ImportResult is what an import did, or would do for a dry run.
type ImportResult struct {
	Result
	DryRun bool
	Format string
	// Sessions is how many sessions the schedule holds; Rooms and Speakers
	// name its rooms and speakers, NewSpeakers those no session of the
	// event named before.
	Sessions    int
	Rooms       []string
	Speakers    []string
	NewSpeakers []string
}

// Summary describes the import for the CLI and the admin, one change a line.
func (r *ImportResult) Summary() string {
	verb := "imported"
	if r.DryRun {
		verb = "would import"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d sessions in %d rooms with %d speakers (%d new) from the %s schedule\n",
		verb, r.Sessions, len(r.Rooms), len(r.Speakers), len(r.NewSpeakers), r.Format)
	s := r.Result.Summary()
	if r.DryRun {
		s = strings.NewReplacer("created", "would create", "updated", "would update", "deleted", "would delete",
			"no changes", "nothing would change").Replace(s)
	}
	b.WriteString(s)
	if len(r.NewSpeakers) > 0 {
		b.WriteString("\n  new speakers: " + strings.Join(r.NewSpeakers, ", "))
	}
	return b.String()
}

// ImportError is a schedule that does not fit the event: one message
// naming the file and the session (a session outside the event's days, two
// talks at once in one room). Nothing was changed.
type ImportError struct {
	File    string
	Line    int // 0 when the format gives none
	Where   string
	Message string
}

func (e *ImportError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Where, e.Message)
	}
	return fmt.Sprintf("%s: %s: %s", e.File, e.Where, e.Message)
}

var errDryRun = errors.New("eventfile: dry run")

// ImportSchedule merges a schedule (package timetable) into the event
// with the given slug, in one transaction with one audit row per change,
// each carrying opts.Actor (docs/API.md, "Schedules from where organizers
// keep them"):
//
//   - sessions are matched by the schedule's own ids (schedule_id), so a
//     re-import keeps each session's slug, its tags and speakers' handles
//     (which no schedule format carries) and the items placed in it;
//     a first import adopts a hand-made session (no schedule id) whose slug
//     is the one the schedule's title would give;
//   - sessions a previous import brought that the schedule no longer has
//     are deleted; hand-made sessions are kept;
//   - rooms are matched by slug or name; new ones are added after the
//     event's rooms; none is deleted;
//   - importing the same schedule again changes nothing.
//
// A schedule that does not fit the event returns *ImportError and changes
// nothing. Manual placements of items survive: re-assignment (package
// jobs), which the caller starts when SessionsChanged, never moves them.
func ImportSchedule(ctx context.Context, db *gorm.DB, slug string, sch *timetable.Schedule, opts ImportOptions) (*ImportResult, error) {
	if sch == nil {
		return nil, errors.New("eventfile: import: no schedule")
	}
	res := &ImportResult{DryRun: opts.DryRun, Format: sch.Format, Sessions: len(sch.Sessions), Rooms: sch.Rooms}
	err := store.New(db).Tx(ctx, func(tx *store.Store) error {
		res.Result = Result{Slug: slug}
		a := &applier{ctx: ctx, tx: tx, actor: opts.Actor, res: &res.Result, now: time.Now().UTC(),
			via: "schedule import (" + sch.Format + ")"}
		if err := a.importSchedule(slug, sch, opts, res); err != nil {
			return err
		}
		if opts.DryRun {
			return errDryRun
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDryRun) {
		var ie *ImportError
		switch {
		case errors.As(err, &ie):
			return nil, ie
		case errors.Is(err, models.ErrNotFound):
			return nil, models.NotFound("event", slug)
		}
		return nil, fmt.Errorf("eventfile: import schedule into %q: %w", slug, err)
	}
	return res, nil
}

func (a *applier) importSchedule(slug string, sch *timetable.Schedule, opts ImportOptions, res *ImportResult) error {
	ev, err := a.tx.LockEventBySlug(a.ctx, slug)
	if err != nil {
		return err
	}
	a.res.EventID = ev.ID
	haveRooms, err := a.tx.RoomsOfEvent(a.ctx, ev.ID)
	if err != nil {
		return err
	}
	have, err := a.tx.SessionsOfEvent(a.ctx, ev.ID)
	if err != nil {
		return err
	}

	// Rooms: the event's, in order, then the schedule's new ones.
	wantRooms := append([]models.Room(nil), haveRooms...)
	roomByID := map[int64]*models.Room{}
	for i := range haveRooms {
		roomByID[haveRooms[i].ID] = &haveRooms[i]
	}
	slugOfRoom := map[string]string{} // schedule room name → room slug
	for _, name := range sch.Rooms {
		s := Slugify(name, "room")
		found := ""
		for _, r := range wantRooms {
			if r.Slug == s || strings.EqualFold(r.Name, name) {
				found = r.Slug
				break
			}
		}
		if found == "" {
			found = uniqueSlug(s, func(c string) bool {
				for _, r := range wantRooms {
					if r.Slug == c {
						return true
					}
				}
				return false
			})
			wantRooms = append(wantRooms, models.Room{Slug: found, Name: name})
		}
		slugOfRoom[name] = found
	}
	roomBySlug := map[string]*models.Room{}
	for i := range wantRooms {
		roomBySlug[wantRooms[i].Slug] = &wantRooms[i]
	}

	// Sessions: matched by schedule id, else a hand-made one by slug.
	bySchedID := map[string]int{}
	bySlug := map[string]int{}
	speakersBefore := map[string]bool{}
	for i := range have {
		if have[i].RoomID != nil {
			have[i].Room = roomByID[*have[i].RoomID]
		}
		if have[i].ScheduleID != "" {
			bySchedID[have[i].ScheduleID] = i
		}
		bySlug[have[i].Slug] = i
		for _, n := range strings.Split(have[i].Speaker, ", ") {
			if n = strings.TrimSpace(n); n != "" {
				speakersBefore[n] = true
			}
		}
	}
	matched := make([]int, len(sch.Sessions)) // index into have, or -1
	used := map[int]bool{}
	for i, ss := range sch.Sessions {
		matched[i] = -1
		if j, ok := bySchedID[ss.ID]; ok {
			matched[i], used[j] = j, true
		}
	}
	for i, ss := range sch.Sessions {
		if matched[i] >= 0 {
			continue
		}
		if j, ok := bySlug[Slugify(ss.Title, "session")]; ok && !used[j] && have[j].ScheduleID == "" {
			matched[i], used[j] = j, true
		}
	}
	// The slugs taken: sessions kept (matched, or hand-made and so kept).
	taken := map[string]bool{}
	for j := range have {
		if used[j] || have[j].ScheduleID == "" {
			taken[have[j].Slug] = true
		}
	}
	type placed struct {
		s     models.Session
		where string
		line  int
	}
	var want []placed
	speakers := map[string]bool{}
	for i, ss := range sch.Sessions {
		var s models.Session
		if j := matched[i]; j >= 0 {
			s = have[j]
		} else {
			s = models.Session{Slug: uniqueSlug(Slugify(ss.Title, "session"), func(c string) bool { return taken[c] })}
			taken[s.Slug] = true
		}
		s.Title, s.Speaker, s.Track, s.ScheduleID = ss.Title, ss.Speaker(), ss.Track, ss.ID
		s.StartsAt, s.EndsAt = normalize(ss.Start), normalize(ss.End)
		s.RoomID, s.Room = nil, nil
		if ss.Room != "" {
			s.Room = roomBySlug[slugOfRoom[ss.Room]]
		}
		want = append(want, placed{s, ss.Where, ss.Line})
		for _, n := range ss.Speakers {
			if !speakers[n] {
				speakers[n] = true
				res.Speakers = append(res.Speakers, n)
				if !speakersBefore[n] {
					res.NewSpeakers = append(res.NewSpeakers, n)
				}
			}
		}
	}
	for j := range have {
		if !used[j] && have[j].ScheduleID == "" {
			s := have[j]
			s.RoomID = nil
			want = append(want, placed{s, fmt.Sprintf("session %q (not from the schedule)", s.Slug), 0})
		}
	}
	sort.Strings(res.NewSpeakers)

	// Check the merged schedule against the event before writing anything.
	sessions := make([]models.Session, len(want))
	for i := range want {
		sessions[i] = want[i].s
	}
	for i := range sessions {
		if verr := ValidateSession(ev, &sessions[i], sessions[:i]); verr != nil {
			fe := verr.Fields[0]
			return &ImportError{File: opts.Source, Line: want[i].line, Where: want[i].where, Message: fe.Field + " " + fe.Message}
		}
	}

	rooms, err := a.rooms(ev.ID, wantRooms)
	if err != nil {
		return err
	}
	if err := a.importSessions(ev.ID, sessions, have, used, rooms); err != nil {
		return err
	}
	// A schedule fetched from a URL is remembered for a re-sync.
	if isURL(opts.Source) && (ev.ScheduleURL != opts.Source || ev.ScheduleFormat != sch.Format) {
		if err := a.updated(ObjectEvent, "events", ev.ID, ev.ID, []string{"schedule_url", "schedule_format"},
			map[string]any{"schedule_url": opts.Source, "schedule_format": sch.Format, "updated_at": a.now}); err != nil {
			return err
		}
		a.res.add(ActionUpdate, ObjectEvent, ev.Slug, ev.ID, []string{"schedule_url", "schedule_format"})
	}
	if a.res.Changed() {
		return a.tx.Audit(a.ctx, store.Change{Actor: a.actor, Action: "import", ObjectType: ObjectEvent,
			ObjectID: store.ID(ev.ID), EventID: ev.ID,
			Message: fmt.Sprintf("imported the %s schedule from %s: %d created, %d updated, %d deleted",
				sch.Format, opts.Source, len(a.res.Created()), len(a.res.Updated()), len(a.res.Deleted()))})
	}
	return nil
}

// importSessions writes the merged sessions: the schedule's sessions the
// event no longer has (a previous import's, unmatched) are deleted first,
// so their slugs are free; then sessions() creates and updates by slug.
func (a *applier) importSessions(eventID int64, want, have []models.Session, used map[int]bool, rooms map[string]*keptRoom) error {
	for j := range have {
		if used[j] || have[j].ScheduleID == "" {
			continue
		}
		if err := a.deleted(ObjectSession, "sessions", have[j].ID, eventID); err != nil {
			return fmt.Errorf("delete session %q: %w", have[j].Slug, err)
		}
		a.res.add(ActionDelete, ObjectSession, have[j].Slug, have[j].ID, nil)
	}
	return a.sessions(eventID, want, rooms, false)
}

// uniqueSlug returns base, or base-2, base-3, … the first that taken does
// not hold (cut to fit the slug length).
func uniqueSlug(base string, taken func(string) bool) string {
	if !taken(base) {
		return base
	}
	for n := 2; ; n++ {
		suffix := fmt.Sprintf("-%d", n)
		b := base
		if len(b)+len(suffix) > maxSlug {
			b = strings.TrimRight(b[:maxSlug-len(suffix)], "-")
		}
		if c := b + suffix; !taken(c) {
			return c
		}
	}
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}
