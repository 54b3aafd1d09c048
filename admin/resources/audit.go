package resources

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/crud"
	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/internal/web"
)

func auditColumns() []crud.Column {
	return []crud.Column{
		{Key: "when", Label: "When", SQL: "to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC'", Sortable: true, Link: true},
		{Key: "who", Label: "Who", SQL: "t.actor", Sortable: true},
		{Key: "action", Label: "Action", SQL: "t.action", Sortable: true},
		{Key: "object", Label: "Object", SQL: "t.object_type || ' ' || t.object_id"},
		{Key: "event", Label: "Event", SQL: "coalesce((SELECT slug FROM events e WHERE e.id = t.event_id), '')"},
		{Key: "message", Label: "Message", SQL: "t.message"},
	}
}

// AuditLog declares the whole audit log, read-only (superusers).
func AuditLog() *crud.Resource {
	return &crud.Resource{
		Key: "audit", Singular: "audit entry", Plural: "Audit log", ObjectType: "audit",
		Table: "audit_log", Kind: crud.Global, Title: "t.action || ' ' || t.object_type || ' ' || t.object_id",
		Columns: auditColumns(),
		Filters: []crud.Filter{
			{Key: "action", Label: "action", SQL: "t.action", Choices: crud.Choices("create", "update", "delete", "enable", "disable",
				"hide", "unhide", "pin", "unpin", "approve", "reject", "import")},
			{Key: "object", Label: "object", SQL: "t.object_type", Choices: crud.Choices("event", "session", "source",
				"moderation_rule", "event_role", "user", "item")},
		},
		Search:      []string{"t.actor", "t.message", "t.object_id"},
		DefaultSort: "-when",
		PerPage:     100,
		ViewPerm:    auth.PermSystem,
	}
}

// EventHistory declares one event's audit log, read-only (organizers).
func EventHistory() *crud.Resource {
	r := AuditLog()
	r.Plural, r.Kind, r.ViewPerm = "History", crud.InEvent, auth.PermEventManage
	return r
}

// auditEntry shows one entry with its before and after; inEvent limits it
// to the event the URL names.
func (p *Pages) auditEntry(inEvent bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := ui.IDParam(c, "id", "audit entry")
		if err != nil {
			return err
		}
		page := ui.Page{Section: "audit"}
		var eventID int64
		if inEvent {
			ev, err := p.d.Auth.Event(c)
			if err != nil {
				return err
			}
			eventID = ev.ID
			page = auth.EventPage("", ev, "audit")
		}
		e, err := p.d.Store.AuditEntry(c.UserContext(), id, eventID)
		if err != nil {
			return err
		}
		v := crud.AuditView{Title: fmt.Sprintf("Audit entry %d", id), Entries: []crud.AuditRow{crud.AuditRowOf(*e)}}
		page.Title, page.Crumbs = v.Title, []ui.Crumb{ui.Home, {Label: "Audit entry"}}
		return web.Render(c, fiber.StatusOK, crud.AuditPage(p.d.Auth.Chrome(c, page), v))
	}
}
