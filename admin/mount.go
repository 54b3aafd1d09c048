package admin

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/console"
	"github.com/backchannel/backchannel/admin/crud"
	"github.com/backchannel/backchannel/admin/dashboard"
	"github.com/backchannel/backchannel/admin/resources"
	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/moderation"
	"github.com/backchannel/backchannel/realtime"
	"github.com/backchannel/backchannel/store"
)

// menu is the admin's top navigation; eventMenu the navigation inside one
// event (paths under /admin/events/{id}). Each account sees what it may use.
var (
	menu = []ui.MenuEntry{
		{Label: "Events", Path: "/events", Perm: auth.PermAccess, Section: "events"},
		{Label: "Users", Path: "/users", Perm: auth.PermSystem, Section: "users"},
		{Label: "Audit log", Path: "/audit", Perm: auth.PermSystem, Section: "audit"},
		{Label: "Security", Path: "/security", Perm: auth.PermSystem, Section: "security"},
		{Label: "Dashboard", Path: "/dashboard", Perm: auth.PermSystem, Section: "dashboard"},
		{Label: "Import", Path: "/import", Perm: auth.PermSystem, Section: "import"},
	}
	eventMenu = []ui.MenuEntry{
		{Label: "Event", Path: "", Perm: auth.PermEventManage, Section: "event"},
		{Label: "Rooms", Path: "/rooms", Perm: auth.PermEventManage, Section: "rooms"},
		{Label: "Sessions", Path: "/sessions", Perm: auth.PermEventManage, Section: "sessions"},
		{Label: "Schedule", Path: "/schedule", Perm: auth.PermEventManage, Section: "schedule"},
		{Label: "Sources", Path: "/sources", Perm: auth.PermEventManage, Section: "sources"},
		{Label: "People", Path: "/roles", Perm: auth.PermEventManage, Section: "roles"},
		{Label: "Moderate", Path: "/moderate", Perm: auth.PermEventModerate, Section: "moderate"},
		{Label: "Held queue", Path: "/queue", Perm: auth.PermEventModerate, Section: "queue"},
		{Label: "Questions", Path: "/questions", Perm: auth.PermEventModerate, Section: "questions"},
		{Label: "Reports", Path: "/reports", Perm: auth.PermEventModerate, Section: "reports"},
		{Label: "Bans", Path: "/rules", Perm: auth.PermEventModerate, Section: "rules"},
		{Label: "Embed", Path: "/embed", Perm: auth.PermEventManage, Section: "embed"},
		{Label: "History", Path: "/audit", Perm: auth.PermEventManage, Section: "audit"},
		{Label: "Export", Path: "/export", Perm: auth.PermEventManage, Section: "export"},
	}
)

// Mount registers every admin route under /admin, and its assets under
// /admin/static/, behind the admin's middleware: security headers, error
// pages (internal/web's mapping, in the admin's chrome) and CSRF; each
// route also passes the permission check its part declares.
func Mount(app *fiber.App, d Deps) error {
	if d.DB == nil || d.Redis == nil || d.Keys == nil {
		return errors.New("admin: mount: Deps.DB, Deps.Redis and Deps.Keys are required")
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	log := d.Logger.With("component", "admin")
	st := store.New(d.DB)
	changed := func(ctx context.Context, eventID int64, what string) {
		if d.OnChange != nil && eventID > 0 {
			d.OnChange(ctx, eventID, what)
		}
	}
	verbs := d.Moderation
	if verbs == nil {
		var ml moderation.Log
		if d.Log != nil {
			ml = moderation.LogOf(d.Log, realtime.ErrUnknownTarget, realtime.ErrNotShown)
		}
		verbs = moderation.New(st, ml, moderation.Options{Logger: log,
			Changed: func(ctx context.Context, eventID int64) { changed(ctx, eventID, "items") }})
	}
	a := auth.New(auth.Config{Store: st, Redis: d.Redis, Namespace: d.Namespace, Keys: d.Keys, Dev: d.Dev,
		SessionIdle: d.SessionIdle, SessionMax: d.SessionMax,
		Menu: menu, EventMenu: eventMenu, Logger: log, Now: d.Now})
	rd := resources.Deps{Store: st, Auth: a, Verbs: verbs, Logger: log, Fetch: d.Fetch, Changed: changed,
		Tokens: resources.SourceTokens{Keys: d.SourceKeys, Test: d.TestSource}}
	site := crud.New(crud.Config{Store: st, Auth: a, Resources: resources.All(rd), Logger: log,
		Changed: func(ctx context.Context, eventID int64, what string) {
			if what == "rules" {
				verbs.RulesChanged(eventID) // an edited or lifted ban counts at once
			}
			changed(ctx, eventID, what)
		}})
	cc := console.Config{Store: st, Auth: a, Verbs: verbs, Redis: d.Redis, Namespace: d.Namespace, Logger: log, Now: d.Now}
	dc := dashboard.Config{Store: st, Auth: a, Redis: d.Redis, Namespace: d.Namespace, Inspector: d.Inspector,
		SourceStates: d.SourceStates, ReconnectSource: d.ReconnectSource, Logger: log, Now: d.Now}
	if d.Log != nil {
		cc.Log, dc.Log = d.Log, d.Log
	}
	cc.Questions, cc.QuestionList = questionsOf(d, st, log, changed)
	// Fixed paths (pages) before the resources' /events/:event.
	parts := []web.Routes{a, resources.NewPages(rd), console.New(cc), dashboard.New(dc), site}
	app.Get("/admin/static/:file", ui.Static)
	g := app.Group("/admin", ui.Headers, errorPages(a), a.CSRF())
	for _, p := range parts {
		p.Register(g)
	}
	return nil
}

// errorPages maps every error an admin handler returns through
// internal/web, as every package does, rendered in the admin's chrome. A
// path no route matches is a page there is not.
func errorPages(a *auth.Auth) fiber.Handler {
	mapped := web.Handler(a.ErrorPage)
	return func(c *fiber.Ctx) error {
		err := c.Next()
		if err == nil {
			return nil
		}
		var fe *fiber.Error
		if errors.As(err, &fe) && fe.Code == fiber.StatusNotFound && strings.HasPrefix(fe.Message, "Cannot ") {
			err = models.NotFound("page", nil)
		}
		return mapped(c, err)
	}
}

// CreateSuperuser creates or resets a superuser for `backchannel
// createsuperuser` (see auth.CreateSuperuser).
func CreateSuperuser(ctx context.Context, db *gorm.DB, email, password string) error {
	return auth.CreateSuperuser(ctx, db, email, password)
}
