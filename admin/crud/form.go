package crud

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// errInvalid rolls a save's transaction back when the input has field errors.
var errInvalid = errors.New("crud: invalid input")

// isUniqueViolation reports a Postgres unique_violation (a race past Clean's checks).
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// FormView is the generic form's view model.
type FormView struct {
	Title      string
	Action     string
	Fields     []FieldView
	Errors     []string // errors not tied to a field of the form
	Creating   bool
	CancelURL  string
	DeleteURL  string
	HistoryURL string
	// Pages are the object's pages beside the form (Resource.Pages).
	Pages []ui.Crumb
}

// FieldView is one input with its value and error.
type FieldView struct {
	Field
	Value    string
	Error    string
	ReadOnly bool
}

// formView merges values and errors into the resource's fields.
func (r *Resource) formView(sc Scope, id int64, vals Values, verr *models.ValidationError) FormView {
	base := r.Base(sc.EventID())
	v := FormView{Creating: id == 0, CancelURL: base}
	if id == 0 {
		v.Title, v.Action = "Add "+r.Singular, base+"/new"
	} else {
		v.Title, v.Action = "Change "+r.Singular, r.ObjectURL(sc.EventID(), id)
		if r.DeletePerm != "" && sc.P.Can(r.DeletePerm, sc.EventID()) {
			v.DeleteURL = r.ObjectURL(sc.EventID(), id) + "/delete"
		}
		v.HistoryURL = r.ObjectURL(sc.EventID(), id) + "/history"
		for _, pg := range r.Pages {
			v.Pages = append(v.Pages, ui.Crumb{Label: pg.Label, Href: r.ObjectURL(sc.EventID(), id) + pg.Path})
		}
	}
	known := map[string]bool{}
	for _, f := range r.Fields {
		known[f.Name] = true
		if f.ChoicesOf != nil {
			f.Choices = f.ChoicesOf(sc)
		}
		fv := FieldView{Field: f, Value: vals[f.Name], ReadOnly: f.CreateOnly && id != 0}
		if f.Type == "password" {
			fv.Value = ""
		}
		v.Fields = append(v.Fields, fv)
	}
	if verr == nil {
		return v
	}
	for _, fe := range verr.Fields {
		name := fe.Field
		if i := strings.IndexAny(name, ".["); i > 0 && !known[name] {
			name = name[:i]
		}
		placed := false
		for i := range v.Fields {
			if v.Fields[i].Name != name {
				continue
			}
			if v.Fields[i].Error != "" {
				v.Fields[i].Error += " "
			}
			msg := fe.Message
			if name != fe.Field {
				msg = fe.Field + ": " + msg
			} else if msg != "" && msg[0] >= 'a' && msg[0] <= 'z' {
				msg = v.Fields[i].Label + " " + msg
			}
			v.Fields[i].Error += msg
			placed = true
			break
		}
		if !placed {
			v.Errors = append(v.Errors, fe.Field+": "+fe.Message)
		}
	}
	return v
}

// formValues reads the resource's fields from the posted form.
func (r *Resource) formValues(c *fiber.Ctx) Values {
	vals := Values{}
	for _, f := range r.Fields {
		v := c.FormValue(f.Name)
		switch f.Type {
		case "checkbox":
			if v != "" {
				v = "on"
			}
		case "password", "textarea", "json":
		default:
			v = strings.TrimSpace(v)
		}
		vals[f.Name] = v
	}
	return vals
}

// load returns an object's form values: the declared Load, or the row's
// columns formatted by field type.
func (s *Site) load(ctx context.Context, r *Resource, sc Scope, id int64) (Values, error) {
	if r.Load != nil {
		return r.Load(ctx, s.st, sc, id)
	}
	cond := r.within(sc)
	row, err := s.st.SnapshotBy(ctx, r.Table, r.key(), id, cond.SQL, cond.Args...)
	if errors.Is(err, models.ErrNotFound) {
		return nil, models.NotFound(r.Singular, id)
	}
	if err != nil {
		return nil, err
	}
	loc := time.UTC
	if sc.Event != nil {
		loc = sc.Event.Location()
	}
	vals := Values{}
	for _, f := range r.Fields {
		if f.Type != "password" {
			vals[f.Name] = formatValue(f.Type, row[f.Name], loc)
		}
	}
	return vals, nil
}

func (s *Site) renderForm(c *fiber.Ctx, r *Resource, sc Scope, status int, v FormView) error {
	return web.Render(c, status, FormPage(s.chrome(c, r, sc, v.Title, ui.Crumb{Label: v.Title}), v))
}

// newForm shows an empty form.
func (s *Site) newForm(r *Resource) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc, err := s.scope(c, r)
		if err != nil {
			return err
		}
		return s.renderForm(c, r, sc, fiber.StatusOK, r.formView(sc, 0, Values{}, nil))
	}
}

// editForm shows an object's form.
func (s *Site) editForm(r *Resource) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc, id, err := s.scopeAndID(c, r)
		if err != nil {
			return err
		}
		vals, err := s.load(c.UserContext(), r, sc, id)
		if err != nil {
			return err
		}
		return s.renderForm(c, r, sc, fiber.StatusOK, r.formView(sc, id, vals, nil))
	}
}

// save is the one save path of every resource: Clean validates and says
// what to write; the row is inserted or updated, snapshotted before and
// after (store.SnapshotBy) and audited (store.Audit), all in one
// transaction. Field errors re-render the form with 422 and write nothing.
func (s *Site) save(r *Resource, creating bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		var sc Scope
		var id int64
		var err error
		if creating {
			sc, err = s.scope(c, r)
		} else if sc, id, err = s.scopeAndID(c, r); err == nil {
			_, err = s.load(ctx, r, sc, id) // it exists, in scope
		}
		if err != nil {
			return err
		}
		vals := r.formValues(c)
		var verr *models.ValidationError
		saved := id
		err = s.st.Tx(ctx, func(tx *store.Store) error {
			cols, v, err := r.Clean(ctx, tx, sc, id, vals)
			if err != nil {
				return err
			}
			if v.Err() != nil {
				verr = v
				return errInvalid
			}
			saved, err = s.write(ctx, tx, r, sc, id, cols)
			return err
		})
		if isUniqueViolation(err) {
			verr = &models.ValidationError{}
			verr.Add("form", "Another %s already uses these values.", r.Singular)
			err = errInvalid
		}
		if err != nil && !errors.Is(err, errInvalid) {
			return err
		}
		if verr.Err() != nil {
			return s.renderForm(c, r, sc, fiber.StatusUnprocessableEntity, r.formView(sc, id, vals, verr))
		}
		verb := "changed"
		if creating {
			verb = "added"
		}
		s.a.Flash(c, fmt.Sprintf("The %s was %s.", r.Singular, verb))
		evID := r.auditEvent(sc, saved, false)
		s.changed(ctx, evID, r.Key)
		if c.FormValue("_continue") != "" {
			return ui.Redirect(c, r.ObjectURL(sc.EventID(), saved))
		}
		return ui.Redirect(c, r.Base(sc.EventID()))
	}
}

// write inserts (id 0) or updates one row with cols inside tx and audits
// it with its snapshots; it returns the row's key.
func (s *Site) write(ctx context.Context, tx *store.Store, r *Resource, sc Scope, id int64, cols Columns) (int64, error) {
	cond := r.within(sc)
	action := "create"
	var before map[string]any
	if id == 0 {
		if r.Kind == InEvent {
			cols["event_id"] = sc.EventID()
		}
		var err error
		if id, err = tx.InsertRow(ctx, r.Table, r.key(), cols); err != nil {
			return 0, err
		}
	} else {
		action = "update"
		var err error
		if before, err = tx.SnapshotBy(ctx, r.Table, r.key(), id, cond.SQL, cond.Args...); err != nil {
			return 0, err
		}
		if r.UpdatedAt {
			cols["updated_at"] = time.Now()
		}
		if err := tx.UpdateRow(ctx, r.Table, r.key(), id, cond, cols); err != nil {
			return 0, err
		}
	}
	after, err := tx.SnapshotBy(ctx, r.Table, r.key(), id, cond.SQL, cond.Args...)
	if err != nil {
		return 0, err
	}
	err = tx.Audit(ctx, store.Change{Actor: sc.Actor, Action: action, ObjectType: r.ObjectType, ObjectID: store.ID(id),
		EventID: r.auditEvent(sc, id, false), Before: before, After: after, Message: changeMessage(before, after, cols)})
	return id, err
}

// changeMessage names what an update changed (Django's change message):
// the columns whose snapshot differs, and written columns the snapshot
// never shows (a password hash).
func changeMessage(before, after map[string]any, cols Columns) string {
	if before == nil {
		return ""
	}
	var changed []string
	for _, k := range slices.Sorted(maps.Keys(cols)) {
		if k == "updated_at" {
			continue
		}
		a, shown := after[k]
		switch {
		case !shown:
			changed = append(changed, k+" (not shown)")
		case fmt.Sprint(before[k]) != fmt.Sprint(a):
			changed = append(changed, k)
		}
	}
	if len(changed) == 0 {
		return "saved unchanged"
	}
	return "changed " + strings.Join(changed, ", ")
}
