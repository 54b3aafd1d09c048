package app

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/realtime"
	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/views"
)

// snapshotSize is how many items the live page and the wall render on the server.
const snapshotSize = 50

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
func (p *pages) snapshot(c *fiber.Ctx) (*models.Event, views.LiveSnapshot, error) {
	ctx := c.UserContext()
	ev, err := p.events.BySlug(ctx, c.Params("event"))
	if err != nil {
		return nil, views.LiveSnapshot{}, err
	}
	snap, err := p.hub.Snapshot(ctx, ev.ID, snapshotSize)
	if err != nil {
		return nil, views.LiveSnapshot{}, err
	}
	// The page embeds the log position it shows, so it must never be cached.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return ev, views.LiveSnapshot{Items: snap.Items, Epoch: snap.Epoch, Head: snap.Head}, nil
}

func (p *pages) live(c *fiber.Ctx) error {
	ev, snap, err := p.snapshot(c)
	if err != nil {
		return err
	}
	vm := views.NewEventVM(ev, snap, p.app.Now())
	vm.Canonical = p.app.Config.BaseURL.String() + views.EventPath(ev.Slug)
	frameable(c, ev)
	return web.Render(c, fiber.StatusOK, views.EventLive(vm))
}

func (p *pages) wall(c *fiber.Ctx) error {
	ev, snap, err := p.snapshot(c)
	if err != nil {
		return err
	}
	vm := views.NewWallVM(ev, snap, p.app.Config.BaseURL.String(), p.app.Now())
	vm.Room = roomParam(c)
	frameable(c, ev)
	return web.Render(c, fiber.StatusOK, views.Wall(vm))
}

// overlay is the transparent lower third for streaming software.
func (p *pages) overlay(c *fiber.Ctx) error {
	ev, snap, err := p.snapshot(c)
	if err != nil {
		return err
	}
	vm := views.NewWallVM(ev, snap, p.app.Config.BaseURL.String(), p.app.Now())
	vm.Room = roomParam(c)
	frameable(c, ev)
	return web.Render(c, fiber.StatusOK, views.Overlay(vm))
}

// roomParam is the wall's room (?room=), trimmed and bounded.
func roomParam(c *fiber.Ctx) string {
	r := strings.TrimSpace(c.Query("room"))
	if len(r) > 100 {
		r = r[:100]
	}
	return r
}
