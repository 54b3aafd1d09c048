package app

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/realtime"
	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/views"
)

// snapshotSize is how many items the live page and the wall render on the
// server; roomSnapshotSize how many newest items of the whole event a page
// following one room picks its items from.
const (
	snapshotSize     = 50
	roomSnapshotSize = 500
)

// pages serves the public HTML pages that are not archives: home, the live
// page, the wall, and a session's Q&A page and speaker view.
type pages struct {
	app    *App
	hub    *realtime.Hub
	log    *realtime.Log
	events *store.Events
}

// Register mounts the pages.
func (p *pages) Register(r fiber.Router) {
	r.Get("/", p.home)
	r.Get("/events/:event", p.live)
	r.Get("/events/:event/wall", p.wall)
	r.Get("/events/:event/sessions/:session/qa", p.qa)
	r.Get("/events/:event/sessions/:session/speaker", p.speaker)
	r.Get("/events/:event/overlay", p.overlay)
}

func (p *pages) home(c *fiber.Ctx) error {
	evs, err := p.app.Store.ListEvents(c.UserContext())
	if err != nil {
		return err
	}
	now := p.app.Now()
	return web.Render(c, fiber.StatusOK, views.Home(views.NewHomeVM(models.GroupEvents(evs, now), now)))
}

// snapshot loads the event and the newest visible items of its live log:
// the event from the one cached lookup (its last good copy while Postgres
// is down), the items from the hub (Redis), so the live page and the wall
// need no Postgres.
//
// With ?room=, the page follows one room: its items are picked from the
// event's newest roomSnapshotSize (items carry their room from ingest), and
// the client keeps only that room's entries (live.js, wall.js).
func (p *pages) snapshot(c *fiber.Ctx) (*models.Event, views.LiveSnapshot, error) {
	ctx := c.UserContext()
	ev, err := p.events.BySlug(ctx, c.Params("event"))
	if err != nil {
		return nil, views.LiveSnapshot{}, err
	}
	room := c.Query("room")
	size := snapshotSize
	if room != "" {
		size = roomSnapshotSize
	}
	snap, err := p.hub.Snapshot(ctx, ev.ID, size)
	if err != nil {
		return nil, views.LiveSnapshot{}, err
	}
	items := snap.Items
	if room != "" {
		items = make([]live.Item, 0, len(snap.Items))
		for _, it := range snap.Items {
			if it.Room == room {
				items = append(items, it)
			}
		}
	}
	// The page embeds the log position it shows, so it must never be cached.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return ev, views.LiveSnapshot{Items: items, Epoch: snap.Epoch, Head: snap.Head}, nil
}

func (p *pages) live(c *fiber.Ctx) error {
	ev, snap, err := p.snapshot(c)
	if err != nil {
		return err
	}
	vm := views.NewEventVM(ev, snap, p.app.Now())
	vm.Canonical = p.app.Config.BaseURL.String() + views.EventPath(ev.Slug)
	if err := vm.FollowRoom(ev, c.Query("room"), snapshotSize); err != nil {
		return err
	}
	// The reaction bars of the sessions happening now start from their
	// recent totals.
	for _, s := range vm.LiveSessions() {
		r, err := p.log.ReactionTotals(c.UserContext(), ev.ID, s.Slug, views.RecentMinutes(p.app.Now(), views.ReactionMinutes))
		if err != nil {
			return err
		}
		if vm.Reactions == nil {
			vm.Reactions = map[string]string{}
		}
		b, _ := json.Marshal(r) // maps of strings and ints always encode
		vm.Reactions[s.Slug] = string(b)
	}
	frameable(c, ev)
	return web.Render(c, fiber.StatusOK, views.EventLive(vm))
}

func (p *pages) wall(c *fiber.Ctx) error {
	ev, snap, err := p.snapshot(c)
	if err != nil {
		return err
	}
	vm := views.NewWallVM(ev, snap, p.app.Config.BaseURL.String(), p.app.Now())
	if err := vm.FollowRoom(ev, c.Query("room")); err != nil {
		return err
	}
	// The current session's top questions beside the stream (?questions=off
	// leaves them out; a closed Q&A shows none).
	if c.Query("questions") != "off" && ev.QA != models.QAClosed {
		vm.QuestionsOn = true
		for _, s := range vm.Sessions {
			if !s.Live {
				continue
			}
			list, err := p.log.Questions(c.UserContext(), ev.ID, s.Slug)
			if err != nil {
				return err
			}
			vm = vm.WithQuestions(s.Slug, realtime.VisibleQuestions(list.Questions), p.app.Config.BaseURL.String())
			break
		}
	}
	frameable(c, ev)
	return web.Render(c, fiber.StatusOK, views.Wall(vm))
}

// audience loads a session's audience page from the one cached lookup and
// the live log (Redis only, like the live page): its visible questions in
// order with the asking browser's votes, the log position they reflect, and
// the reaction totals of the last minutes.
func (p *pages) audience(c *fiber.Ctx, votes bool) (*models.Event, views.AudienceVM, error) {
	ev, err := p.events.BySlug(c.UserContext(), c.Params("event"))
	if err != nil {
		return nil, views.AudienceVM{}, err
	}
	slug := c.Params("session")
	found := false
	for _, s := range ev.Sessions {
		found = found || s.Slug == slug
	}
	if !found {
		return nil, views.AudienceVM{}, models.NotFound("session", strings.Clone(slug))
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 5*time.Second)
	defer cancel()
	list, err := p.log.Questions(ctx, ev.ID, slug)
	if err != nil {
		return nil, views.AudienceVM{}, err
	}
	shown := realtime.VisibleQuestions(list.Questions)
	if votes {
		ids := make([]int64, len(shown))
		for i, q := range shown {
			ids[i] = q.ID
		}
		voted, err := p.log.Voted(ctx, ev.ID, realtime.VoterID(realtime.ClientID(c, !p.app.Config.Development())), ids)
		if err != nil {
			return nil, views.AudienceVM{}, err
		}
		for i := range shown {
			shown[i].Voted = voted[shown[i].ID]
		}
	}
	now := p.app.Now()
	reactions, err := p.log.ReactionTotals(ctx, ev.ID, slug, views.RecentMinutes(now, views.ReactionMinutes))
	if err != nil {
		return nil, views.AudienceVM{}, err
	}
	vm, _ := views.NewAudienceVM(ev, slug, shown, list.Epoch, list.Head, reactions, now)
	// The page embeds the log position it shows, so it must never be cached.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return ev, vm, nil
}

// qa serves a session's Q&A page (ask, vote, react; phone-first).
func (p *pages) qa(c *fiber.Ctx) error {
	_, vm, err := p.audience(c, true)
	if err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, views.QAPage(vm))
}

// speaker serves the lectern's view of a session's questions.
func (p *pages) speaker(c *fiber.Ctx) error {
	ev, vm, err := p.audience(c, false)
	if err != nil {
		return err
	}
	qaURL := strings.TrimRight(p.app.Config.BaseURL.String(), "/") + views.QAPath(ev.Slug, vm.Session.Slug)
	return web.Render(c, fiber.StatusOK, views.SpeakerPage(vm, qaURL))
}

// overlay is the transparent lower third for streaming software, for the
// whole event or one room (?room=).
func (p *pages) overlay(c *fiber.Ctx) error {
	ev, snap, err := p.snapshot(c)
	if err != nil {
		return err
	}
	vm := views.NewWallVM(ev, snap, p.app.Config.BaseURL.String(), p.app.Now())
	if err := vm.FollowRoom(ev, c.Query("room")); err != nil {
		return err
	}
	frameable(c, ev)
	return web.Render(c, fiber.StatusOK, views.Overlay(vm))
}
