package app

import (
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
// page and the wall.
type pages struct {
	app    *App
	hub    *realtime.Hub
	events *store.Events
}

// Register mounts the pages.
func (p *pages) Register(r fiber.Router) {
	r.Get("/", p.home)
	r.Get("/events/:event", p.live)
	r.Get("/events/:event/wall", p.wall)
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
	frameable(c, ev)
	return web.Render(c, fiber.StatusOK, views.Wall(vm))
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
