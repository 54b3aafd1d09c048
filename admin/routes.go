package admin

import (
	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/live"
)

// describeResources lists every model the admin manages, each described once.
func (s *server) describeResources() []*Resource {
	return []*Resource{
		s.eventsResource(), s.sessionsResource(), s.sourcesResource(), s.rulesResource(),
		s.rolesResource(), s.usersResource(), s.auditResource(), s.historyResource(),
	}
}

// routes registers every admin route; each passes through guard with the
// permission it needs (login and logout excepted).
func (s *server) routes(g fiber.Router) {
	g.Get("/login", s.loginForm)
	g.Post("/login", s.login)
	g.Post("/logout", s.logout)
	g.Get("/", s.guard(PermAccess, s.home))
	g.Get("/password", s.guard(PermAccess, s.passwordForm))
	g.Post("/password", s.guard(PermAccess, s.changePassword))

	// Fixed paths before /events/:event so "new" and "action" are not ids.
	g.Get("/import", s.guard(PermSystem, s.importForm))
	g.Post("/import", s.guard(PermSystem, s.importFile))
	g.Get("/audit/:id", s.guard(PermSystem, s.auditEntry(false)))
	g.Get("/events/:event/audit/:id", s.guard(PermEventManage, s.auditEntry(true)))
	g.Get("/events/:event/export", s.guard(PermEventManage, s.exportFile))

	ev := "/events/:event"
	g.Get(ev+"/moderate", s.guard(PermEventModerate, s.moderate))
	for _, op := range []string{live.OpHide, live.OpUnhide, live.OpPin, live.OpUnpin} {
		g.Post(ev+"/items/:seq/"+op, s.guard(PermEventModerate, s.itemOp(op)))
	}
	g.Post(ev+"/items/:seq/block-author", s.guard(PermEventModerate, s.blockAuthor))
	g.Post(ev+"/block-word", s.guard(PermEventModerate, s.blockWord))
	g.Get(ev+"/queue", s.guard(PermEventModerate, s.queue))
	g.Post(ev+"/queue", s.guard(PermEventModerate, s.review))

	g.Get("/dashboard", s.guard(PermSystem, s.dashboard))
	g.Post("/dashboard/sources/:id/:action", s.guard(PermSystem, s.dashboardSource))
	g.Post("/dashboard/tasks/:queue/:state/:task/:action", s.guard(PermSystem, s.dashboardTask))

	for _, r := range s.resources {
		s.resourceRoutes(g, r)
	}
}

// resourceRoutes registers the generic list, form, delete and history pages.
func (s *server) resourceRoutes(g fiber.Router, r *Resource) {
	base := "/" + r.Key
	if r.EventScoped {
		base = "/events/:event/" + r.Key
	}
	obj := base + "/:id"
	if r.Key == "events" {
		obj = "/events/:event"
	}
	g.Get(base, s.guard(r.ViewPerm, s.list(r)))
	if r.EditPerm == "" { // read-only resources (the audit log)
		return
	}
	g.Post(base+"/action", s.guard(r.ViewPerm, s.action(r)))
	if r.CreatePerm != "" {
		g.Get(base+"/new", s.guard(r.CreatePerm, s.newForm(r)))
		g.Post(base+"/new", s.guard(r.CreatePerm, s.save(r, true)))
	}
	g.Get(obj, s.guard(r.EditPerm, s.editForm(r)))
	g.Post(obj, s.guard(r.EditPerm, s.save(r, false)))
	g.Get(obj+"/history", s.guard(r.EditPerm, s.objectHistory(r)))
	if r.DeletePerm != "" {
		g.Get(obj+"/delete", s.guard(r.DeletePerm, s.deleteForm(r)))
	}
}
