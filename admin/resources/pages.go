package resources

import (
	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/admin/auth"
)

// Pages are the admin's pages about its resources beyond the generic ones:
// the home page, event file import and export, single audit entries.
type Pages struct {
	d Deps
}

// NewPages returns the pages over d.
func NewPages(d Deps) *Pages { return &Pages{d: d} }

// Register adds the pages' routes (web.Routes). Fixed paths come before
// the resources' /events/:event so "new" and "action" are never ids.
func (p *Pages) Register(g fiber.Router) {
	a := p.d.Auth
	g.Get("/", a.Guard(auth.PermAccess, p.home))
	g.Get("/import", a.Guard(auth.PermSystem, p.importForm))
	g.Post("/import", a.Guard(auth.PermSystem, p.importFile))
	g.Get("/audit/:id", a.Guard(auth.PermSystem, p.auditEntry(false)))
	g.Get("/events/:event/audit/:id", a.Guard(auth.PermEventManage, p.auditEntry(true)))
	g.Get("/events/:event/export", a.Guard(auth.PermEventManage, p.exportFile))
	g.Get("/events/:event/schedule", a.Guard(auth.PermEventManage, p.scheduleForm))
	g.Post("/events/:event/schedule", a.Guard(auth.PermEventManage, p.scheduleImport))
	if p.d.Tokens.Keys != nil && p.d.Tokens.Test != nil {
		g.Get("/events/:event/sources/:id/token", a.Guard(auth.PermEventManage, p.tokenPage))
		g.Post("/events/:event/sources/:id/token", a.Guard(auth.PermEventManage, p.setToken))
		g.Post("/events/:event/sources/:id/token/test", a.Guard(auth.PermEventManage, p.testToken))
	}
}
