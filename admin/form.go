package admin

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
)

// errInvalid rolls a transaction back when the input has field errors.
var errInvalid = errors.New("admin: invalid input")

// isUniqueViolation reports a Postgres unique_violation (a race past a pre-check).
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
}

// FieldView is one input with its value and error.
type FieldView struct {
	Field
	Value    string
	Error    string
	ReadOnly bool
}

// scopeAndID is scope plus the id of the object the route names.
func (s *server) scopeAndID(c *fiber.Ctx, r *Resource) (Scope, int64, error) {
	sc, err := s.scope(c, r)
	if err != nil {
		return Scope{}, 0, err
	}
	id, err := idParam(c, r.IDParam())
	return sc, id, err
}

// scope builds the request's scope, loading the event named in the URL.
func (s *server) scope(c *fiber.Ctx, r *Resource) (Scope, error) {
	sc := Scope{P: mustPrincipal(c), Actor: actor(c)}
	if r.EventScoped || (r.Key == "events" && c.Params("event") != "") {
		var ev models.Event
		err := s.d.DB.WithContext(c.UserContext()).Where("id = ?", eventParam(c)).Take(&ev).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return sc, fiber.NewError(fiber.StatusNotFound, "There is no such event.")
		}
		if err != nil {
			return sc, fmt.Errorf("admin: load event: %w", err)
		}
		sc.Event = &ev
	}
	return sc, nil
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
	}
	known := map[string]bool{}
	for _, f := range r.Fields {
		known[f.Name] = true
		fv := FieldView{Field: f, Value: vals[f.Name], ReadOnly: f.CreateOnly && id != 0}
		if f.Type == "password" {
			fv.Value = ""
		}
		v.Fields = append(v.Fields, fv)
	}
	if verr != nil {
		for _, fe := range verr.Fields {
			name := fe.Field
			if i := strings.IndexAny(name, ".["); i > 0 && !known[name] {
				name = name[:i]
			}
			placed := false
			for i := range v.Fields {
				if v.Fields[i].Name == name {
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
			}
			if !placed {
				v.Errors = append(v.Errors, fe.Field+": "+fe.Message)
			}
		}
	}
	return v
}

// formValues reads the resource's fields from the posted form.
func (r *Resource) formValues(c *fiber.Ctx) Values {
	vals := Values{}
	for _, f := range r.Fields {
		v := c.FormValue(f.Name)
		if f.Type == "checkbox" {
			if v != "" {
				v = "on"
			}
		} else if f.Type != "password" && f.Type != "textarea" && f.Type != "json" {
			v = strings.TrimSpace(v)
		}
		vals[f.Name] = v
	}
	return vals
}

func (s *server) renderForm(c *fiber.Ctx, r *Resource, sc Scope, status int, v FormView) error {
	crumbs := append(s.crumbs(r, sc), Crumb{Label: v.Title})
	ch := s.chrome(c, v.Title, crumbs...)
	ch.Event, ch.Section = sc.Event, r.Key
	if r.Key == "events" {
		ch.Section = "event"
		if v.Creating {
			ch.Event, ch.Section = nil, "events"
		}
	}
	return render(c, status, FormPage(ch, v))
}

// newForm shows an empty form.
func (s *server) newForm(r *Resource) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc, err := s.scope(c, r)
		if err != nil {
			return err
		}
		return s.renderForm(c, r, sc, fiber.StatusOK, r.formView(sc, 0, Values{}, nil))
	}
}

// editForm shows an object's form.
func (s *server) editForm(r *Resource) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc, id, err := s.scopeAndID(c, r)
		if err != nil {
			return err
		}
		vals, err := r.Load(c.UserContext(), s.d.DB.WithContext(c.UserContext()), sc, id)
		if err != nil {
			return err
		}
		return s.renderForm(c, r, sc, fiber.StatusOK, r.formView(sc, id, vals, nil))
	}
}

// save validates and writes one object and its audit entry in one
// transaction; field errors re-render the form with 422.
func (s *server) save(r *Resource, creating bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sc, err := s.scope(c, r)
		if err != nil {
			return err
		}
		var id int64
		if !creating {
			if id, err = idParam(c, r.IDParam()); err != nil {
				return err
			}
			if _, err := r.Load(c.UserContext(), s.d.DB.WithContext(c.UserContext()), sc, id); err != nil {
				return err
			}
		}
		vals := r.formValues(c)
		var verr *models.ValidationError
		var newID int64
		err = s.d.DB.WithContext(c.UserContext()).Transaction(func(tx *gorm.DB) error {
			var before, after any
			var err error
			newID, before, after, verr, err = r.Save(c.UserContext(), tx, sc, id, vals)
			if err != nil {
				return err
			}
			if verr.Err() != nil {
				return errInvalid
			}
			action := "update"
			if creating {
				action = "create"
			}
			evID := sc.eventPtr()
			if r.Key == "events" {
				evID = &newID
			}
			return writeAudit(tx, sc.Actor, action, r.ObjectType, newID, evID, before, after, "")
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
		s.flash(c, fmt.Sprintf("The %s was %s.", r.Singular, verb))
		evID := sc.EventID()
		if r.Key == "events" {
			evID = newID
		}
		s.changed(c.UserContext(), evID, r.Key)
		if c.FormValue("_continue") != "" {
			return redirect(c, r.ObjectURL(evID, newID))
		}
		return redirect(c, r.Base(evID))
	}
}
