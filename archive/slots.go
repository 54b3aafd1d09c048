package archive

import (
	"context"
	"net/url"
	"sort"
	"time"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/views"
	av "github.com/backchannel/backchannel/views/archive"
)

// unplacedShown bounds the unplaced posts the archive page lists per slot.
const unplacedShown = 20

// slot is a stretch of time in which parallel sessions run: sessions whose
// windows overlap, chained.
type slot struct {
	start, end time.Time
	last       string // the slug of the slot's session listed last
	sessions   int
}

// parallelSlots groups an event's sessions into slots and keeps those with
// parallel sessions: there a post no tag, handle or page placed stays
// unplaced (docs/API.md, Session assignment) and the archive shows it under
// its slot. order is the sessions' slugs as the archive lists them.
func parallelSlots(sessions []models.Session, order []string) []slot {
	ss := append([]models.Session(nil), sessions...)
	sort.Slice(ss, func(i, j int) bool { return ss[i].StartsAt.Before(ss[j].StartsAt) })
	pos := map[string]int{}
	for i, slug := range order {
		pos[slug] = i
	}
	var out []slot
	for _, s := range ss {
		if n := len(out); n > 0 && s.StartsAt.Before(out[n-1].end) {
			sl := &out[n-1]
			if s.EndsAt.After(sl.end) {
				sl.end = s.EndsAt
			}
			sl.sessions++
			if pos[s.Slug] > pos[sl.last] {
				sl.last = s.Slug
			}
			continue
		}
		out = append(out, slot{start: s.StartsAt, end: s.EndsAt, last: s.Slug, sessions: 1})
	}
	kept := out[:0]
	for _, sl := range out {
		if sl.sessions > 1 {
			kept = append(kept, sl)
		}
	}
	return kept
}

// unplacedUnder fills, for each parallel slot with unplaced posts, the row
// of its last session with those posts (the newest unplacedShown).
func (h *Handler) unplacedUnder(ctx context.Context, ec *eventCtx, rows []av.SessionRowVM, now time.Time) error {
	order := make([]string, len(rows))
	for i, r := range rows {
		order[i] = r.Session.Slug
	}
	for _, sl := range parallelSlots(ec.ev.Sessions, order) {
		n, err := h.store.UnplacedCount(ctx, ec.ev.ID, sl.start, sl.end)
		if err != nil || n == 0 {
			if err != nil {
				return err
			}
			continue
		}
		items, err := h.store.Items(ctx, store.ItemQuery{EventID: ec.ev.ID, Unplaced: true, From: sl.start, To: sl.end, Desc: true, Limit: unplacedShown})
		if err != nil {
			return err
		}
		vm := &av.UnplacedVM{Start: sl.start.In(ec.loc), End: sl.end.In(ec.loc), Count: n, Now: now}
		for _, r := range items {
			vm.Items = append(vm.Items, views.NewItemVM(h.item(ec, r), ec.loc))
		}
		for i := range rows {
			if rows[i].Session.Slug == sl.last {
				rows[i].Unplaced = vm
			}
		}
	}
	return nil
}

// scopeLinks lists the event's rooms and tracks with their feeds and
// exports: the archive by room and by track.
func scopeLinks(ev *models.Event) []av.ScopeLinkVM {
	base := views.EventPath(ev.Slug)
	var out []av.ScopeLinkVM
	add := func(kind, label, value string) {
		q := "?" + kind + "=" + url.QueryEscape(value)
		out = append(out, av.ScopeLinkVM{Kind: kind, Label: label, Feed: base + "/feed.atom" + q,
			ExportJSON: base + "/export.json" + q, ExportCSV: base + "/export.csv" + q})
	}
	for _, r := range ev.Rooms {
		add("room", r.Name, r.Slug)
		out[len(out)-1].Archive = base + "/archive?room=" + url.QueryEscape(r.Slug)
	}
	seen := map[string]bool{}
	for _, s := range ev.Sessions {
		if s.Track != "" && !seen[s.Track] {
			seen[s.Track] = true
			add("track", s.Track, s.Track)
			out[len(out)-1].Archive = base + "/archive?track=" + url.QueryEscape(s.Track)
		}
	}
	return out
}

// scopeLabel names a room or track for the archive's title ("Room B").
func scopeLabel(ec *eventCtx, sc scope) string {
	if r, ok := ec.rooms[sc.name]; ok && sc.kind == "room" {
		return r.Name
	}
	return sc.name
}
