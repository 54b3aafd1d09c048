package admin

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
)

// Column is one column of a list page (Django's list_display). SQL is an
// expression over the table aliased t; it is rendered as text.
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

// Choice is one allowed value of a filter or select field.
type Choice struct {
	Value string
	Label string
}

// Field is one input of a resource's form.
type Field struct {
	Name       string
	Label      string
	Type       string // text, textarea, email, password, datetime, select, checkbox, json
	Help       string
	Choices    []Choice
	Required   bool
	CreateOnly bool // editable only when creating (shown read-only after)
}

// Scope is the context a resource's functions run in.
type Scope struct {
	Event *models.Event // set for event-scoped resources and the event itself
	P     *Principal
	Actor Actor
}

// EventID returns the scope's event id or 0.
func (sc Scope) EventID() int64 {
	if sc.Event == nil {
		return 0
	}
	return sc.Event.ID
}

// eventPtr returns a pointer to the event id for audit rows, or nil.
func (sc Scope) eventPtr() *int64 {
	if sc.Event == nil {
		return nil
	}
	id := sc.Event.ID
	return &id
}

// Values are a form's submitted or loaded values by field name.
type Values map[string]string

// Consequence is one line of a delete confirmation: what else goes.
type Consequence struct {
	Label string
	Count int64
}

// Action is a bulk action on selected rows (Django's actions). Destructive
// actions pass through a confirmation page first.
type Action struct {
	Name        string
	Label       string
	Destructive bool
	// Run changes the rows inside tx (with audit entries) and returns a
	// message; after, when set, runs once the transaction has committed.
	Run func(ctx context.Context, tx *gorm.DB, sc Scope, ids []int64) (msg string, after func(context.Context) error, err error)
}

// Resource describes one model once; the generic list page, form, delete
// confirmation and history render every model from it.
type Resource struct {
	Key        string // URL segment: "events", "sessions", …
	Singular   string
	Plural     string
	ObjectType string // audit log object type
	Table      string
	IDColumn   string
	// EventScoped resources live under /admin/events/{event}/{Key} and are
	// restricted to rows of that event.
	EventScoped bool
	Columns     []Column
	Filters     []Filter
	Search      []string // SQL expressions matched case-insensitively
	DefaultSort string   // column key, "-" prefix for descending
	PerPage     int
	ViewPerm    string
	EditPerm    string
	CreatePerm  string // "" means nobody creates through the form
	DeletePerm  string
	Fields      []Field
	Actions     []Action
	// Where restricts the rows a principal sees (beyond the event scope).
	Where func(sc Scope) (string, []any)
	// Load returns an object's form values; models.ErrNotFound when absent.
	Load func(ctx context.Context, db *gorm.DB, sc Scope, id int64) (Values, error)
	// Save validates and writes (id 0 creates) inside tx, returning the id,
	// snapshots before/after for the audit log, or field errors.
	Save func(ctx context.Context, tx *gorm.DB, sc Scope, id int64, v Values) (int64, any, any, *models.ValidationError, error)
	// Snapshot returns what the audit log keeps of an object being deleted.
	Snapshot func(ctx context.Context, tx *gorm.DB, sc Scope, id int64) (any, error)
	// Cascade counts what deleting ids also removes or detaches.
	Cascade func(ctx context.Context, db *gorm.DB, ids []int64) ([]Consequence, error)
	// Title is the SQL expression naming one object (confirmations, history).
	Title string
}

// Base is the URL of the resource's list page.
func (r *Resource) Base(eventID int64) string {
	if r.Key == "events" {
		return "/admin/events"
	}
	if r.EventScoped {
		return fmt.Sprintf("/admin/events/%d/%s", eventID, r.Key)
	}
	return "/admin/" + r.Key
}

// ObjectURL is the URL of one object's form.
func (r *Resource) ObjectURL(eventID, id int64) string {
	return fmt.Sprintf("%s/%d", r.Base(eventID), id)
}

// IDParam is the route parameter holding an object's id.
func (r *Resource) IDParam() string {
	if r.Key == "events" {
		return "event"
	}
	return "id"
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

// Query is a list request: filters, search, sort and page, already checked
// against the resource's allowlists.
type Query struct {
	Filters map[string]string
	Search  string
	Sort    string
	Page    int
}

// scoped returns the base query with event scope, principal restriction,
// filters and search applied.
func (r *Resource) scoped(db *gorm.DB, sc Scope, q Query) *gorm.DB {
	tx := db.Table(r.Table + " AS t")
	if r.EventScoped {
		tx = tx.Where("t.event_id = ?", sc.EventID())
	}
	if r.Where != nil {
		if cond, args := r.Where(sc); cond != "" {
			tx = tx.Where(cond, args...)
		}
	}
	for _, f := range r.Filters {
		if v, ok := q.Filters[f.Key]; ok {
			tx = tx.Where("("+f.SQL+")::text = ?", v)
		}
	}
	if q.Search != "" && len(r.Search) > 0 {
		like := "%" + escapeLike(q.Search) + "%"
		conds := make([]string, len(r.Search))
		args := make([]any, len(r.Search))
		for i, e := range r.Search {
			conds[i] = "(" + e + ") ILIKE ?"
			args[i] = like
		}
		tx = tx.Where("("+strings.Join(conds, " OR ")+")", args...)
	}
	return tx
}

// order returns the ORDER BY clause for q.Sort (already allowlisted).
func (r *Resource) order(sort string) string {
	desc := strings.HasPrefix(sort, "-")
	expr := r.sortable(strings.TrimPrefix(sort, "-"))
	if expr == "" {
		return "t." + r.IDColumn + " DESC"
	}
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	return "(" + expr + ")" + dir + ", t." + r.IDColumn + dir
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// matchingIDs returns the ids of every row q selects (bulk "all matching").
func (r *Resource) matchingIDs(ctx context.Context, db *gorm.DB, sc Scope, q Query, limit int) ([]int64, error) {
	var ids []int64
	err := r.scoped(db.WithContext(ctx), sc, q).Limit(limit).Pluck("t."+r.IDColumn, &ids).Error
	if err != nil {
		return nil, fmt.Errorf("admin: %s ids: %w", r.Key, err)
	}
	return ids, nil
}

// visibleIDs keeps only the ids among ids the scope may see.
func (r *Resource) visibleIDs(ctx context.Context, db *gorm.DB, sc Scope, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out []int64
	err := r.scoped(db.WithContext(ctx), sc, Query{}).Where("t."+r.IDColumn+" IN ?", ids).
		Order("t."+r.IDColumn).Pluck("t."+r.IDColumn, &out).Error
	if err != nil {
		return nil, fmt.Errorf("admin: %s ids: %w", r.Key, err)
	}
	return out, nil
}

// titles returns the display name of each id (for confirmations).
func (r *Resource) titles(ctx context.Context, db *gorm.DB, sc Scope, ids []int64) ([]string, error) {
	var out []string
	err := r.scoped(db.WithContext(ctx), sc, Query{}).Where("t."+r.IDColumn+" IN ?", ids).
		Order("t."+r.IDColumn).Pluck("("+r.Title+")::text", &out).Error
	if err != nil {
		return nil, fmt.Errorf("admin: %s titles: %w", r.Key, err)
	}
	return out, nil
}
