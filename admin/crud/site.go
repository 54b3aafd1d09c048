package crud

import (
	"context"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/store"
)

// Config is what New needs.
type Config struct {
	Store     *store.Store
	Auth      *auth.Auth
	Resources []*Resource
	// Changed, when set, is told after a committed change to an event's
	// rows: what is the resource's Key. The wiring re-renders archives and
	// re-assigns items after session edits.
	Changed func(ctx context.Context, eventID int64, what string)
	Logger  *slog.Logger
}

// Site serves every declared resource with the generic pages (Django's
// AdminSite).
type Site struct {
	cfg Config
	st  *store.Store
	a   *auth.Auth
	log *slog.Logger
}

// New returns the site of cfg.Resources.
func New(cfg Config) *Site {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Site{cfg: cfg, st: cfg.Store, a: cfg.Auth, log: cfg.Logger}
}

// Register adds the list, form, save, delete, bulk action and history
// routes of every resource (web.Routes), each behind the permission its
// declaration names.
func (s *Site) Register(g fiber.Router) {
	for _, r := range s.cfg.Resources {
		base, obj, _ := r.routes()
		g.Get(base, s.a.Guard(r.ViewPerm, s.list(r)))
		if r.EditPerm == "" { // read-only (the audit log)
			continue
		}
		g.Post(base+"/action", s.a.Guard(r.ViewPerm, s.action(r)))
		if r.CreatePerm != "" {
			g.Get(base+"/new", s.a.Guard(r.CreatePerm, s.newForm(r)))
			g.Post(base+"/new", s.a.Guard(r.CreatePerm, s.save(r, true)))
		}
		g.Get(obj, s.a.Guard(r.EditPerm, s.editForm(r)))
		g.Post(obj, s.a.Guard(r.EditPerm, s.save(r, false)))
		g.Get(obj+"/history", s.a.Guard(r.EditPerm, s.history(r)))
		if r.DeletePerm != "" {
			g.Get(obj+"/delete", s.a.Guard(r.DeletePerm, s.deleteForm(r)))
		}
	}
}

// scope builds the request's scope, loading the event the URL names.
func (s *Site) scope(c *fiber.Ctx, r *Resource) (Scope, error) {
	sc := Scope{P: auth.PrincipalOf(c), Actor: auth.ActorOf(c)}
	if r.Kind == InEvent || (r.Kind == Events && c.Params("event") != "") {
		ev, err := s.a.Event(c)
		if err != nil {
			return sc, err
		}
		sc.Event = ev
	}
	return sc, nil
}

// scopeAndID is scope plus the id of the object the route names.
func (s *Site) scopeAndID(c *fiber.Ctx, r *Resource) (Scope, int64, error) {
	sc, err := s.scope(c, r)
	if err != nil {
		return sc, 0, err
	}
	_, _, param := r.routes()
	id, err := ui.IDParam(c, param, r.Singular)
	return sc, id, err
}

// crumbs is the breadcrumb trail down to r's list.
func (s *Site) crumbs(r *Resource, sc Scope, more ...ui.Crumb) []ui.Crumb {
	cr := []ui.Crumb{ui.Home}
	if r.Kind == InEvent && sc.Event != nil {
		cr = append(cr, ui.Crumb{Label: "Events", Href: "/admin/events"},
			ui.Crumb{Label: sc.Event.Title, Href: "/admin/events/" + ui.Itoa(sc.Event.ID)})
	}
	cr = append(cr, ui.Crumb{Label: r.Plural, Href: r.Base(sc.EventID())})
	return append(cr, more...)
}

// chrome is the page chrome of one of r's pages.
func (s *Site) chrome(c *fiber.Ctx, r *Resource, sc Scope, title string, more ...ui.Crumb) ui.Chrome {
	return s.a.Chrome(c, auth.EventPage(title, sc.Event, r.section(sc), s.crumbs(r, sc, more...)...))
}

// changed tells the wiring that an event's rows changed.
func (s *Site) changed(ctx context.Context, eventID int64, what string) {
	if s.cfg.Changed != nil && eventID > 0 {
		s.cfg.Changed(ctx, eventID, what)
	}
}
