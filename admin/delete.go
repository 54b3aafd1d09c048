package admin

import (
	"context"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"
)

// ConfirmView is the confirmation page of a destructive action: what is
// selected and what goes with it.
type ConfirmView struct {
	Title        string
	Action       string // URL the confirmation posts to
	ActionName   string
	Label        string
	Items        []string
	Consequences []Consequence
	IDs          []int64
	CancelURL    string
}

// deleteIDs deletes ids, logging each deletion (with its snapshot) before
// it happens, in the caller's transaction.
func deleteIDs(ctx context.Context, tx *gorm.DB, r *Resource, sc Scope, ids []int64) error {
	for _, id := range ids {
		var before any
		if r.Snapshot != nil {
			var err error
			if before, err = r.Snapshot(ctx, tx, sc, id); err != nil {
				return err
			}
		}
		evID := sc.eventPtr()
		if r.Key == "events" {
			evID = nil // the row is going; its audit entries keep the id in object_id
		}
		if err := writeAudit(tx, sc.Actor, "delete", r.ObjectType, id, evID, before, nil, ""); err != nil {
			return err
		}
		q := tx.Table(r.Table).Where(r.IDColumn+" = ?", id)
		if r.EventScoped {
			q = q.Where("event_id = ?", sc.EventID())
		}
		if err := q.Delete(nil).Error; err != nil {
			return fmt.Errorf("admin: delete %s %d: %w", r.ObjectType, id, err)
		}
	}
	return nil
}

// confirm renders the confirmation page for ids.
func (s *server) confirm(c *fiber.Ctx, r *Resource, sc Scope, name, label string, ids []int64) error {
	ctx := c.UserContext()
	v := ConfirmView{Title: label + ": are you sure?", Action: r.Base(sc.EventID()) + "/action",
		ActionName: name, Label: label, IDs: ids, CancelURL: r.Base(sc.EventID())}
	var err error
	if v.Items, err = r.titles(ctx, s.d.DB, sc, ids); err != nil {
		return err
	}
	if name == "delete" && r.Cascade != nil {
		if v.Consequences, err = r.Cascade(ctx, s.d.DB.WithContext(ctx), ids); err != nil {
			return err
		}
	}
	ch := s.chrome(c, v.Title, append(s.crumbs(r, sc), Crumb{Label: label})...)
	ch.Event, ch.Section = sc.Event, r.Key
	if r.Key == "events" {
		ch.Event = nil
	}
	return render(c, fiber.StatusOK, ConfirmPage(ch, v))
}

// deleteForm asks to confirm deleting one object.
func (s *server) deleteForm(r *Resource) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc, id, err := s.scopeAndID(c, r)
		if err != nil {
			return err
		}
		ids, err := r.visibleIDs(c.UserContext(), s.d.DB, sc, []int64{id})
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return fiber.NewError(fiber.StatusNotFound, "There is no such "+r.Singular+".")
		}
		return s.confirm(c, r, sc, "delete", "Delete "+r.Singular, ids)
	}
}

// action runs a bulk action on the selected rows ("ids") or on every row
// matching the list's query ("all"). Destructive actions need "confirm".
func (s *server) action(r *Resource) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc, err := s.scope(c, r)
		if err != nil {
			return err
		}
		ctx := c.UserContext()
		name := c.FormValue("action")
		var act *Action
		for _, a := range s.allowedActions(r, sc) {
			if a.Name == name {
				act = &a
				break
			}
		}
		if act == nil {
			return fiber.NewError(fiber.StatusForbidden, "You may not run that action here.")
		}
		var ids []int64
		if c.FormValue("all") != "" {
			q := r.parseFormQuery(c)
			if ids, err = r.matchingIDs(ctx, s.d.DB, sc, q, 10000); err != nil {
				return err
			}
		} else {
			for _, b := range c.Request().PostArgs().PeekMulti("ids") {
				if id, err := strconv.ParseInt(string(b), 10, 64); err == nil {
					ids = append(ids, id)
				}
			}
			if ids, err = r.visibleIDs(ctx, s.d.DB, sc, ids); err != nil {
				return err
			}
		}
		if len(ids) == 0 {
			s.flash(c, "Select at least one "+r.Singular+" first.")
			return redirect(c, r.Base(sc.EventID()))
		}
		if act.Destructive && c.FormValue("confirm") != "yes" {
			return s.confirm(c, r, sc, act.Name, act.Label, ids)
		}
		var msg string
		var after func(context.Context) error
		err = s.d.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var err error
			msg, after, err = act.Run(ctx, tx, sc, ids)
			return err
		})
		if err != nil {
			return err
		}
		if after != nil {
			if err := after(ctx); err != nil {
				s.log.Error("admin: after action", "action", act.Name, "err", err)
				msg += " (The live stream could not be updated; it will catch up when the items are strained.)"
			}
		}
		s.flash(c, msg)
		s.changed(ctx, sc.EventID(), r.Key)
		if r.Key == "events" && sc.Event != nil {
			return redirect(c, "/admin/events")
		}
		return redirect(c, r.Base(sc.EventID()))
	}
}

// deleteAction is the generic "delete selected" action.
func deleteAction(r *Resource) Action {
	return Action{Name: "delete", Label: "Delete selected " + r.Plural, Destructive: true,
		Run: func(ctx context.Context, tx *gorm.DB, sc Scope, ids []int64) (string, func(context.Context) error, error) {
			if err := deleteIDs(ctx, tx, r, sc, ids); err != nil {
				return "", nil, err
			}
			return fmt.Sprintf("Deleted %d %s.", len(ids), plural(len(ids), r.Singular, r.Plural)), nil, nil
		}}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// parseFormQuery reads the list query a bulk form carried in hidden fields.
func (r *Resource) parseFormQuery(c *fiber.Ctx) Query {
	q := Query{Filters: map[string]string{}, Search: c.FormValue("q")}
	for _, f := range r.Filters {
		v := c.FormValue(f.Key)
		for _, ch := range f.Choices {
			if ch.Value == v {
				q.Filters[f.Key] = v
			}
		}
	}
	return q
}
