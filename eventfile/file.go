package eventfile

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/backchannel/backchannel/models"
)

// File is one event file: an event with its sessions and sources. Parse
// returns it validated; a File built in code (Demo) is validated by Apply.
type File struct {
	// Name is the file name errors are reported against.
	Name string
	// Event holds the event's fields; its ID, timestamps, Sessions and
	// Sources are ignored.
	Event models.Event
	// Rooms in file order (their Position); IDs and timestamps are ignored.
	// A file without a rooms list has the rooms its sessions name.
	Rooms []models.Room
	// Sessions in file order; IDs, EventID and timestamps are ignored. A
	// session's Room points into Rooms (nil for none).
	Sessions []models.Session
	// Sources in file order.
	Sources []Source

	// pos maps a field path ("sessions[1].ends_at") to its line; nil for
	// files built in code. bad holds paths already reported by the parser.
	pos map[string]int
	bad map[string]bool
}

// Source is one source entry of an event file.
type Source struct {
	Kind    string
	Enabled bool
	// Fields are the entry's fields as written, except kind and enabled
	// (name included): strings, and []any or []string for keywords.
	Fields map[string]any
	// Key and Config are derived from Kind and Fields by Validate.
	Key    string
	Config json.RawMessage
}

// Validate checks the whole file and fills each source's Key and Config.
// It returns Errors (nil when the file is valid).
func (f *File) Validate() error {
	if errs := f.check(); len(errs) > 0 {
		return errs
	}
	return nil
}

// check runs every validation and returns the problems in line order.
func (f *File) check() Errors {
	var errs Errors
	add := func(prefix string, verr *models.ValidationError) {
		if verr == nil {
			return
		}
		for _, fe := range verr.Fields {
			path := prefix + fe.Field
			if f.reported(path) {
				continue
			}
			errs = append(errs, &Error{File: f.Name, Line: f.line(path), Field: path, Message: fe.Message})
		}
	}
	add("", ValidateEvent(&f.Event))
	roomSlugs := map[string]int{}
	for i := range f.Rooms {
		prefix := fmt.Sprintf("rooms[%d].", i)
		add(prefix, ValidateRoom(&f.Rooms[i]))
		if j, dup := roomSlugs[f.Rooms[i].Slug]; dup && f.Rooms[i].Slug != "" {
			errs = append(errs, &Error{File: f.Name, Line: f.line(prefix + "slug"), Field: prefix + "slug",
				Message: fmt.Sprintf("%q is already the slug of rooms[%d]", f.Rooms[i].Slug, j)})
		}
		roomSlugs[f.Rooms[i].Slug] = i
	}
	for i := range f.Sessions {
		add(fmt.Sprintf("sessions[%d].", i), ValidateSession(&f.Event, &f.Sessions[i], f.Sessions[:i]))
	}
	seen := map[string]int{}
	for i := range f.Sources {
		s := &f.Sources[i]
		prefix := fmt.Sprintf("sources[%d].", i)
		if f.reported(prefix + "kind") {
			continue
		}
		key, cfg, verr := ValidateSource(s.Kind, s.Fields)
		add(prefix, verr)
		if verr != nil {
			continue
		}
		s.Key, s.Config = key, cfg
		if j, dup := seen[key]; dup {
			path := fmt.Sprintf("sources[%d]", i)
			errs = append(errs, &Error{File: f.Name, Line: f.line(path), Field: path,
				Message: fmt.Sprintf("follows the same thing as sources[%d] (key %q); remove one, or give each a distinct name", j, key)})
			continue
		}
		seen[key] = i
	}
	sortErrors(errs)
	return errs
}

// line returns the line of a field path, or of its nearest enclosing entry.
func (f *File) line(path string) int {
	for path != "" {
		if l, ok := f.pos[path]; ok {
			return l
		}
		cut := strings.LastIndexAny(path, ".[")
		if cut < 0 {
			break
		}
		path = path[:cut]
	}
	return f.pos[""]
}

// reported says whether the parser already reported a problem at path or
// at an entry enclosing it (a session that is not a mapping is not also
// missing its slug).
func (f *File) reported(path string) bool {
	for path != "" {
		if f.bad[path] {
			return true
		}
		cut := strings.LastIndexAny(path, ".[")
		if cut < 0 {
			return false
		}
		path = path[:cut]
	}
	return false
}

func sortErrors(errs Errors) {
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
}

// normalize rounds times to what Postgres stores (microseconds, no
// monotonic reading), so comparisons with stored rows are exact.
func normalize(t time.Time) time.Time {
	return t.Round(0).Truncate(time.Microsecond)
}
