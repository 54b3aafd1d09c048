package admin

import (
	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/models"
)

// Chrome is what every admin page's layout needs.
type Chrome struct {
	Title  string
	User   *Principal
	CSRF   string
	Flash  []string
	Crumbs []Crumb
	// Event, when set, adds the event's own navigation.
	Event *models.Event
	// Section marks the current navigation entry.
	Section string
}

// Crumb is one step of the breadcrumb trail.
type Crumb struct {
	Label string
	Href  string
}

// NavLink is one entry of a navigation bar.
type NavLink struct {
	Label   string
	Href    string
	Current bool
}

// chrome builds the page chrome for the current request.
func (s *server) chrome(c *fiber.Ctx, title string, crumbs ...Crumb) Chrome {
	ch := Chrome{Title: title, Crumbs: crumbs}
	ch.User, _ = c.Locals(localPrincipal).(*Principal)
	ch.CSRF, _ = c.Locals(localCSRF).(string)
	if c.Method() == fiber.MethodGet {
		ch.Flash = s.popFlash(c)
	}
	return ch
}

// MainNav is the top navigation for the signed-in user.
func (ch Chrome) MainNav() []NavLink {
	if ch.User == nil {
		return nil
	}
	links := []NavLink{{Label: "Events", Href: "/admin/events", Current: ch.Section == "events"}}
	if ch.User.User.IsSuperuser {
		links = append(links,
			NavLink{Label: "Users", Href: "/admin/users", Current: ch.Section == "users"},
			NavLink{Label: "Audit log", Href: "/admin/audit", Current: ch.Section == "audit"},
			NavLink{Label: "Dashboard", Href: "/admin/dashboard", Current: ch.Section == "dashboard"},
			NavLink{Label: "Import", Href: "/admin/import", Current: ch.Section == "import"},
		)
	}
	return links
}

// EventNav is the navigation inside one event, limited to what the user may do.
func (ch Chrome) EventNav() []NavLink {
	if ch.Event == nil || ch.User == nil {
		return nil
	}
	base := "/admin/events/" + itoa(ch.Event.ID)
	var links []NavLink
	add := func(perm, label, href, section string) {
		if ch.User.Can(perm, ch.Event.ID) {
			links = append(links, NavLink{Label: label, Href: href, Current: ch.Section == section})
		}
	}
	add(PermEventManage, "Event", base, "event")
	add(PermEventManage, "Sessions", base+"/sessions", "sessions")
	add(PermEventManage, "Sources", base+"/sources", "sources")
	add(PermEventManage, "People", base+"/roles", "roles")
	add(PermEventModerate, "Moderate", base+"/moderate", "moderate")
	add(PermEventModerate, "Held queue", base+"/queue", "queue")
	add(PermEventModerate, "Bans", base+"/rules", "rules")
	add(PermEventManage, "History", base+"/audit", "audit")
	add(PermEventManage, "Export", base+"/export", "export")
	return links
}
