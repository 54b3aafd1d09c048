package admin

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/models"
)

func auditActions() []Choice {
	return choices("create", "update", "delete", "enable", "disable", "hide", "unhide", "pin", "unpin", "approve", "reject", "import")
}

func auditObjects() []Choice {
	return choices("event", "session", "source", "moderation_rule", "event_role", "user", "item")
}

func auditColumns() []Column {
	return []Column{
		{Key: "when", Label: "When", SQL: "to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC'", Sortable: true, Link: true},
		{Key: "who", Label: "Who", SQL: "t.actor", Sortable: true},
		{Key: "action", Label: "Action", SQL: "t.action", Sortable: true},
		{Key: "object", Label: "Object", SQL: "t.object_type || ' ' || t.object_id"},
		{Key: "event", Label: "Event", SQL: "coalesce((SELECT slug FROM events e WHERE e.id = t.event_id), '')"},
		{Key: "message", Label: "Message", SQL: "t.message"},
	}
}

// auditResource is the whole audit log (superusers).
func (s *server) auditResource() *Resource {
	return &Resource{
		Key: "audit", Singular: "audit entry", Plural: "Audit log", ObjectType: "audit",
		Table: "audit_log", IDColumn: "id", Title: "t.action || ' ' || t.object_type || ' ' || t.object_id",
		Columns: auditColumns(),
		Filters: []Filter{
			{Key: "action", Label: "action", SQL: "t.action", Choices: auditActions()},
			{Key: "object", Label: "object", SQL: "t.object_type", Choices: auditObjects()},
		},
		Search:      []string{"t.actor", "t.message", "t.object_id"},
		DefaultSort: "-when",
		PerPage:     100,
		ViewPerm:    PermSystem,
	}
}

// historyResource is one event's audit log (organizers).
func (s *server) historyResource() *Resource {
	r := s.auditResource()
	r.Key, r.Plural, r.EventScoped, r.ViewPerm = "audit", "History", true, PermEventManage
	return r
}

// AuditView is a page of audit entries about one object, or one entry.
type AuditView struct {
	Title   string
	Entries []AuditRow
}

// AuditRow is one audit entry as shown.
type AuditRow struct {
	ID      int64
	When    string
	Who     string
	Action  string
	Object  string
	Message string
	Before  string
	After   string
	Href    string
}

func auditRow(e models.AuditEntry, href string) AuditRow {
	return AuditRow{ID: e.ID, When: when(e.CreatedAt), Who: e.Actor, Action: e.Action,
		Object: e.ObjectType + " " + e.ObjectID, Message: e.Message,
		Before: prettyJSON(e.Before), After: prettyJSON(e.After), Href: href}
}

func prettyJSON(b json.RawMessage) string {
	if len(b) == 0 || string(b) == "null" {
		return ""
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return string(b)
	}
	return out.String()
}

// objectHistory lists the audit entries of one object (Django's history).
func (s *server) objectHistory(r *Resource) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc, id, err := s.scopeAndID(c, r)
		if err != nil {
			return err
		}
		q := s.d.DB.WithContext(c.UserContext()).Where("object_type = ? AND object_id = ?", r.ObjectType, itoa(id))
		if r.EventScoped {
			q = q.Where("event_id = ?", sc.EventID())
		}
		var es []models.AuditEntry
		if err := q.Order("created_at DESC, id DESC").Limit(500).Find(&es).Error; err != nil {
			return fmt.Errorf("admin: history: %w", err)
		}
		v := AuditView{Title: fmt.Sprintf("History of %s %d", r.Singular, id)}
		for _, e := range es {
			v.Entries = append(v.Entries, auditRow(e, ""))
		}
		ch := s.chrome(c, v.Title, append(s.crumbs(r, sc), Crumb{Label: "History"})...)
		ch.Event, ch.Section = sc.Event, r.Key
		return render(c, fiber.StatusOK, AuditPage(ch, v))
	}
}

// auditEntry shows one entry with its before and after.
func (s *server) auditEntry(eventScoped bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := idParam(c, "id")
		if err != nil {
			return err
		}
		q := s.d.DB.WithContext(c.UserContext()).Where("id = ?", id)
		var ev *models.Event
		if eventScoped {
			q = q.Where("event_id = ?", eventParam(c))
			var e models.Event
			if err := s.d.DB.WithContext(c.UserContext()).Where("id = ?", eventParam(c)).Take(&e).Error; err != nil {
				return notFound(err, "event", eventParam(c))
			}
			ev = &e
		}
		var e models.AuditEntry
		if err := q.Take(&e).Error; err != nil {
			return notFound(err, "audit entry", id)
		}
		v := AuditView{Title: fmt.Sprintf("Audit entry %d", id), Entries: []AuditRow{auditRow(e, "")}}
		ch := s.chrome(c, v.Title, Crumb{Label: "Admin", Href: "/admin/"}, Crumb{Label: "Audit entry"})
		ch.Event, ch.Section = ev, "audit"
		return render(c, fiber.StatusOK, AuditPage(ch, v))
	}
}
