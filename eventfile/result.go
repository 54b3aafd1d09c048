package eventfile

import (
	"fmt"
	"strings"
)

// Actions recorded in the audit log and in a Result.
const (
	ActionCreate = "create"
	ActionUpdate = "update"
	ActionDelete = "delete"
)

// Object types recorded in the audit log and in a Result.
const (
	ObjectEvent   = "event"
	ObjectSession = "session"
	ObjectRoom    = "room"
	ObjectSource  = "source"
)

// Change is one object Apply created, updated or deleted.
type Change struct {
	Action string // ActionCreate, ActionUpdate or ActionDelete
	Object string // ObjectEvent, ObjectSession or ObjectSource
	Key    string // the event or session slug, or the source key
	ID     int64
	Fields []string // the fields that changed (updates only)
}

func (c Change) String() string {
	s := fmt.Sprintf("%sd %s %s", c.Action, c.Object, c.Key) // create → created
	if len(c.Fields) > 0 {
		s += " (" + strings.Join(c.Fields, ", ") + ")"
	}
	return s
}

// Result is what Apply did to one event.
type Result struct {
	EventID int64
	Slug    string
	Changes []Change
}

// Changed reports whether anything was written.
func (r *Result) Changed() bool { return len(r.Changes) > 0 }

// SessionsChanged reports whether any session was created, updated or
// deleted: items then need re-assigning to sessions.
func (r *Result) SessionsChanged() bool {
	for _, c := range r.Changes {
		if c.Object == ObjectSession || c.Object == ObjectRoom {
			return true
		}
	}
	return false
}

// SourcesChanged reports whether any source was created, updated or
// deleted: source runners then need restarting.
func (r *Result) SourcesChanged() bool {
	for _, c := range r.Changes {
		if c.Object == ObjectSource {
			return true
		}
	}
	return false
}

// Created returns the created objects.
func (r *Result) Created() []Change { return r.with(ActionCreate) }

// Updated returns the updated objects.
func (r *Result) Updated() []Change { return r.with(ActionUpdate) }

// Deleted returns the deleted objects.
func (r *Result) Deleted() []Change { return r.with(ActionDelete) }

func (r *Result) with(action string) []Change {
	var out []Change
	for _, c := range r.Changes {
		if c.Action == action {
			out = append(out, c)
		}
	}
	return out
}

// Summary describes the result for the CLI, one change a line, e.g.
//
//	event aea-boston-2026: 1 created, 1 updated, 0 deleted
//	  created session opening-keynote
//	  updated session closing (title)
func (r *Result) Summary() string {
	if !r.Changed() {
		return fmt.Sprintf("event %s: no changes", r.Slug)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "event %s: %d created, %d updated, %d deleted", r.Slug,
		len(r.Created()), len(r.Updated()), len(r.Deleted()))
	for _, c := range r.Changes {
		b.WriteString("\n  ")
		b.WriteString(c.String())
	}
	return b.String()
}

func (r *Result) add(action, object, key string, id int64, fields []string) {
	r.Changes = append(r.Changes, Change{Action: action, Object: object, Key: key, ID: id, Fields: fields})
}
