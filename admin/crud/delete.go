package crud

import (
	"context"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// ConfirmView is the confirmation page of a destructive action: what is
// selected and what goes with it.
type ConfirmView struct {
	Title        string
	Action       string // URL the confirmation posts to
	ActionName   string
	Label        string
	Items        []string
	Consequences []store.AdminCounted
	IDs          []int64
	CancelURL    string
}

// actions returns the resource's bulk actions, delete included when it
// may be deleted.
func (s *Site) actions(r *Resource) []Action {
	out := r.Actions
	if r.DeletePerm != "" {
		out = append(out[:len(out):len(out)], s.deleteAction(r))
	}
	return out
}

// allowedActions returns the bulk actions the scope may run.
func (s *Site) allowedActions(r *Resource, sc Scope) []Action {
	var out []Action
	for _, a := range s.actions(r) {
		perm := a.Perm
		if perm == "" {
			perm = r.EditPerm
		}
		if perm != "" && sc.P.Can(perm, sc.EventID()) {
			out = append(out, a)
		}
	}
	return out
}

// deleteAction is the generic "delete selected": each row's snapshot is
// logged before it goes (Django's LogEntry), all in one transaction.
func (s *Site) deleteAction(r *Resource) Action {
	label := r.DeleteLabel
	if label == "" {
		label = "Delete selected " + r.Plural
	}
	return Action{Name: "delete", Label: label, Destructive: true, Perm: r.DeletePerm,
		Run: func(ctx context.Context, sc Scope, ids []int64) (string, error) {
			if r.CanDelete != nil {
				if err := r.CanDelete(sc, ids); err != nil {
					return "", err
				}
			}
			cond := r.within(sc)
			err := s.st.Tx(ctx, func(tx *store.Store) error {
				for _, id := range ids {
					before, err := tx.SnapshotBy(ctx, r.Table, r.key(), id, cond.SQL, cond.Args...)
					if err != nil {
						return err
					}
					if err := tx.Audit(ctx, store.Change{Actor: sc.Actor, Action: "delete", ObjectType: r.ObjectType,
						ObjectID: store.ID(id), EventID: r.auditEvent(sc, id, true), Before: before}); err != nil {
						return err
					}
					if err := tx.DeleteRow(ctx, r.Table, r.key(), id, cond); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("Deleted %d %s.", len(ids), ui.Plural(len(ids), r.Singular, r.Plural)), nil
		}}
}

// confirm renders the confirmation page for ids.
func (s *Site) confirm(c *fiber.Ctx, r *Resource, sc Scope, name, label string, ids []int64) error {
	ctx := c.UserContext()
	v := ConfirmView{Title: label + ": are you sure?", Action: r.Base(sc.EventID()) + "/action",
		ActionName: name, Label: label, IDs: ids, CancelURL: r.Base(sc.EventID())}
	var err error
	if v.Items, err = s.st.AdminTitles(ctx, r.list(sc, Query{}), r.Title, ids); err != nil {
		return err
	}
	if name == "delete" && len(r.Cascade) > 0 {
		if v.Consequences, err = s.st.AdminCounts(ctx, r.Cascade, ids); err != nil {
			return err
		}
	}
	return web.Render(c, fiber.StatusOK, ConfirmPage(s.chrome(c, r, sc, v.Title, ui.Crumb{Label: label}), v))
}

// deleteForm asks to confirm deleting one object.
func (s *Site) deleteForm(r *Resource) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc, id, err := s.scopeAndID(c, r)
		if err != nil {
			return err
		}
		ids, err := s.st.AdminKeys(c.UserContext(), r.list(sc, Query{}), []int64{id}, 1)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return models.NotFound(r.Singular, id)
		}
		return s.confirm(c, r, sc, "delete", s.deleteAction(r).Label, ids)
	}
}

// maxBulk bounds an "all matching" bulk action.
const maxBulk = 10000

// action runs a bulk action on the selected rows ("ids") or on every row
// matching the list's query ("all"). Destructive actions need "confirm".
func (s *Site) action(r *Resource) fiber.Handler {
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
			return ui.Forbidden("You may not run that action here.")
		}
		var ids []int64
		if c.FormValue("all") != "" {
			ids, err = s.st.AdminKeys(ctx, r.list(sc, r.parseFormQuery(c)), nil, maxBulk)
		} else {
			picked := []int64{}
			for _, b := range c.Request().PostArgs().PeekMulti("ids") {
				if id, err := strconv.ParseInt(string(b), 10, 64); err == nil {
					picked = append(picked, id)
				}
			}
			ids, err = s.st.AdminKeys(ctx, r.list(sc, Query{}), picked, maxBulk) // only rows the scope may see
		}
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			s.a.Flash(c, "Select at least one "+r.Singular+" first.")
			return ui.Redirect(c, r.Base(sc.EventID()))
		}
		if act.Destructive && c.FormValue("confirm") != "yes" {
			return s.confirm(c, r, sc, act.Name, act.Label, ids)
		}
		msg, err := act.Run(ctx, sc, ids)
		if err != nil {
			return err
		}
		s.a.Flash(c, msg)
		s.changed(ctx, sc.EventID(), r.Key)
		return ui.Redirect(c, r.Base(sc.EventID()))
	}
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
