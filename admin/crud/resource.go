package crud

import (
	"context"
	"fmt"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// Kind says where a resource's objects live; the routes, the event scope,
// the audit rows' event and the navigation follow from it.
type Kind int

const (
	// Global objects are listed at /admin/{key} (accounts, the audit log).
	Global Kind = iota
	// InEvent objects belong to one event: /admin/events/{event}/{key},
	// rows whose event_id is that event (sessions, sources, bans, people).
	InEvent
	// Events are the events themselves: listed at /admin/events, each at
	// /admin/events/{event}, so the permission check reads the event's own
	// roles from the URL.
	Events
)

// Column is one column of a list page (Django's list_display). SQL is an
// expression over the table aliased t; it is shown as text.
type Column struct {
	Key      string
	Label    string
	SQL      string
	Sortable bool // the sort allowlist is exactly the sortable columns
	Link     bool // links to the object's form
}

// Filter narrows a list to rows where SQL equals one of Choices (list_filter).
type Filter struct {
	Key     string
	Label   string
	SQL     string
	Choices []Choice
}

// Choice is one allowed value of a filter or a select field.
type Choice struct {
	Value string
	Label string
}

// Choices makes choices whose labels are their values.
func Choices(vals ...string) []Choice {
	out := make([]Choice, len(vals))
	for i, v := range vals {
		out[i] = Choice{Value: v, Label: v}
	}
	return out
}

// Field is one input of a resource's form. Its Name is the column it
// shows and, through Clean, writes.
type Field struct {
	Name  string
	Label string
	// Type is text, textarea, email, password, datetime, select, checkbox,
	// json, or list (a JSON array of strings, edited comma-separated).
	Type    string
	Help    string
	Choices []Choice
	// ChoicesOf, when set, gives a select's choices for the scope (an
	// event's rooms).
	ChoicesOf  func(sc Scope) []Choice
	Required   bool
	CreateOnly bool // editable only when creating (shown read-only after)
}

// Values are a form's submitted or loaded values by field name.
type Values map[string]string

// Columns are what a form writes: column name → value.
type Columns map[string]any

// Scope is the request a resource's functions run for.
type Scope struct {
	Event *models.Event // the event of InEvent resources, and the object of Events
	P     *auth.Principal
	Actor store.Actor
}

// EventID returns the scope's event id or 0.
func (sc Scope) EventID() int64 {
	if sc.Event == nil {
		return 0
	}
	return sc.Event.ID
}

// Action is a bulk action on selected rows (Django's actions). Destructive
// actions pass through a confirmation page first.
type Action struct {
	Name        string
	Label       string
	Destructive bool
	// Perm is the permission it needs; "" means the resource's EditPerm.
	Perm string
	// Run makes the change, in its own transaction with its audit rows, and
	// returns a message for the user.
	Run func(ctx context.Context, sc Scope, ids []int64) (string, error)
}

// Resource describes one model once, both sides: its list (columns,
// filters, search, actions) and its form (fields, validation). The generic
// list page, form, save path, delete confirmation and history render and
// write every model from it.
type Resource struct {
	Key        string // URL segment: "events", "sessions", …
	Singular   string
	Plural     string
	ObjectType string // the audit log's object type
	Table      string
	KeyColumn  string // default "id"; event_roles is keyed by user_id
	Kind       Kind
	// UpdatedAt: the table has an updated_at column that saving sets.
	UpdatedAt bool

	Columns     []Column
	Filters     []Filter
	Search      []string // SQL expressions matched case-insensitively
	DefaultSort string   // column key, "-" prefix for descending
	PerPage     int      // default 50
	Title       string   // SQL naming one object (confirmations)

	ViewPerm   string
	EditPerm   string // "" for read-only resources (the audit log)
	CreatePerm string // "" means nobody creates through the form
	DeletePerm string // "" means nobody deletes
	// DeleteLabel names the delete action ("Lift selected bans").
	DeleteLabel string

	Fields  []Field
	Actions []Action // besides delete, which DeletePerm adds
	// Where restricts the rows a principal sees (beyond the event scope).
	Where func(sc Scope) (string, []any)
	// Cascade counts what deleting the ids also removes or detaches.
	Cascade []store.AdminCountQuery

	// Load returns an object's form values. Default: the row's columns,
	// formatted by field type (times in the event's zone).
	Load func(ctx context.Context, st *store.Store, sc Scope, id int64) (Values, error)
	// Clean validates submitted values and returns the columns to write
	// (id 0: creating), or field errors. It runs inside the save's
	// transaction, so its checks see what the save will write beside.
	Clean func(ctx context.Context, st *store.Store, sc Scope, id int64, v Values) (Columns, *models.ValidationError, error)
	// CanDelete refuses a deletion with an error for the user (an account
	// cannot delete itself).
	CanDelete func(sc Scope, ids []int64) error
	// Link, when set, is where a row of the list leads instead of its form.
	Link func(sc Scope, id int64) string
	// Pages are an object's pages beside its form (a source's token), shown
	// in the form's title bar: Path is appended to the object's URL.
	Pages []ObjectPage
}

// ObjectPage is a page of one object beside its form.
type ObjectPage struct {
	Label string
	Path  string // "/token": the page is ObjectURL + Path
}

func (r *Resource) key() string {
	if r.KeyColumn == "" {
		return "id"
	}
	return r.KeyColumn
}

// Base is the URL of the resource's list page.
func (r *Resource) Base(eventID int64) string {
	if r.Kind == InEvent {
		return fmt.Sprintf("/admin/events/%d/%s", eventID, r.Key)
	}
	return "/admin/" + r.Key
}

// ObjectURL is the URL of one object's form.
func (r *Resource) ObjectURL(eventID, id int64) string {
	return fmt.Sprintf("%s/%d", r.Base(eventID), id)
}

// routes returns the list's route pattern, the object's, and the object
// route's id parameter.
func (r *Resource) routes() (base, object, param string) {
	switch r.Kind {
	case InEvent:
		base = "/events/:event/" + r.Key
	case Events:
		return "/" + r.Key, "/" + r.Key + "/:event", "event"
	default:
		base = "/" + r.Key
	}
	return base, base + "/:id", "id"
}

// within is the condition keeping reads and writes inside the scope's event.
func (r *Resource) within(sc Scope) store.Cond {
	if r.Kind == InEvent {
		return store.Where("event_id = ?", sc.EventID())
	}
	return store.Cond{}
}

// auditEvent is the event an audit row about object id belongs to.
func (r *Resource) auditEvent(sc Scope, id int64, deleting bool) int64 {
	switch r.Kind {
	case InEvent:
		return sc.EventID()
	case Events:
		if deleting {
			return 0 // the row is going; its entries keep the id in object_id
		}
		return id
	}
	return 0
}

// section is the navigation entry the resource's pages mark.
func (r *Resource) section(sc Scope) string {
	if r.Kind == Events {
		if sc.Event != nil {
			return "event" // one event's own form, in its navigation
		}
		return r.Key
	}
	return r.Key
}

// list is the query of the rows sc may see, with q's filters and search.
func (r *Resource) list(sc Scope, q Query) store.AdminList {
	l := store.AdminList{Table: r.Table, Key: r.key()}
	if r.Kind == InEvent {
		l.Where = append(l.Where, store.Where("t.event_id = ?", sc.EventID()))
	}
	if r.Where != nil {
		if cond, args := r.Where(sc); cond != "" {
			l.Where = append(l.Where, store.Where(cond, args...))
		}
	}
	for _, f := range r.Filters {
		if v, ok := q.Filters[f.Key]; ok {
			l.Where = append(l.Where, store.Where("("+f.SQL+")::text = ?", v))
		}
	}
	if q.Search != "" && len(r.Search) > 0 {
		like := "%" + escapeLike(q.Search) + "%"
		var sql string
		args := make([]any, len(r.Search))
		for i, e := range r.Search {
			if i > 0 {
				sql += " OR "
			}
			sql += "(" + e + ") ILIKE ?"
			args[i] = like
		}
		l.Where = append(l.Where, store.Where("("+sql+")", args...))
	}
	return l
}

func escapeLike(s string) string {
	out := make([]rune, 0, len(s))
	for _, c := range s {
		if c == '\\' || c == '%' || c == '_' {
			out = append(out, '\\')
		}
		out = append(out, c)
	}
	return string(out)
}

// sortable returns the SQL of an allowlisted sort key, or "".
func (r *Resource) sortable(key string) string {
	for _, col := range r.Columns {
		if col.Key == key && col.Sortable {
			return col.SQL
		}
	}
	return ""
}

// order returns the ORDER BY clause for an allowlisted sort.
func (r *Resource) order(sort string) string {
	desc := len(sort) > 0 && sort[0] == '-'
	key := sort
	if desc {
		key = sort[1:]
	}
	expr := r.sortable(key)
	if expr == "" {
		return "t." + r.key() + " DESC"
	}
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	return "(" + expr + ")" + dir + ", t." + r.key() + dir
}
