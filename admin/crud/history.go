package crud

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

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
}

// AuditRowOf shows one audit entry.
func AuditRowOf(e models.AuditEntry) AuditRow {
	return AuditRow{ID: e.ID, When: ui.When(e.CreatedAt), Who: e.Actor, Action: e.Action,
		Object: e.ObjectType + " " + e.ObjectID, Message: e.Message,
		Before: prettyJSON(e.Before), After: prettyJSON(e.After)}
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

// historyLimit bounds one object's history page.
const historyLimit = 500

// history lists the audit entries of one object (Django's history).
func (s *Site) history(r *Resource) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc, id, err := s.scopeAndID(c, r)
		if err != nil {
			return err
		}
		var inEvent int64
		if r.Kind == InEvent {
			inEvent = sc.EventID()
		}
		es, err := s.st.AuditHistory(c.UserContext(), r.ObjectType, store.ID(id), inEvent, historyLimit)
		if err != nil {
			return err
		}
		v := AuditView{Title: fmt.Sprintf("History of %s %d", r.Singular, id)}
		for _, e := range es {
			v.Entries = append(v.Entries, AuditRowOf(e))
		}
		return web.Render(c, fiber.StatusOK, AuditPage(s.chrome(c, r, sc, v.Title, ui.Crumb{Label: "History"}), v))
	}
}
