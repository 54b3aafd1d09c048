package eventfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/backchannel/backchannel/models"
)

// MaxFileSize is the largest event file Parse reads.
const MaxFileSize = 1 << 20

// maxEntries bounds the sessions (and the sources) of one event.
const maxEntries = 1000

// maxErrors is how many problems Parse lists before it stops counting.
const maxErrors = 50

// Parse reads and validates an event file (see docs/API.md). filename only names
// the file in errors. On failure the error is Errors, listing every problem
// found with its line and field; unknown fields are problems too.
func Parse(filename string, data []byte) (*File, error) {
	p := &parser{f: &File{Name: filename, pos: map[string]int{}, bad: map[string]bool{}}}
	if len(data) > MaxFileSize {
		p.errorf(0, "", "is %d bytes; an event file is at most %d", len(data), MaxFileSize)
		return nil, p.errs
	}
	root := p.document(data)
	if root == nil {
		return nil, p.errs
	}
	p.event(root)
	p.resolveRooms()
	errs := append(p.errs, p.f.check()...)
	if len(errs) > 0 {
		sortErrors(errs)
		if len(errs) > maxErrors {
			more := len(errs) - maxErrors
			errs = append(errs[:maxErrors], &Error{File: filename, Message: fmt.Sprintf("and %d more problems", more)})
		}
		return nil, errs
	}
	return p.f, nil
}

type parser struct {
	f    *File
	errs Errors
	// roomOf is each session's room as written (a slug or a name), by index.
	roomOf    []string
	roomsSeen bool // the file has a rooms list
}

func (p *parser) errorf(line int, field, format string, args ...any) {
	if field != "" {
		p.f.bad[field] = true
	}
	p.errs = append(p.errs, &Error{File: p.f.Name, Line: line, Field: field, Message: fmt.Sprintf(format, args...)})
}

// yamlLine finds the line in a yaml syntax error ("yaml: line 3: …").
var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

func (p *parser) syntaxError(err error) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		p.errorf(line, "", "YAML syntax: %s", m[2])
		return
	}
	p.errorf(0, "", "YAML syntax: %s", strings.TrimPrefix(msg, "yaml: "))
}

// document decodes the one YAML document of the file and returns its root.
func (p *parser) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.errorf(0, "", "is empty; an event file starts with slug: and title:")
		} else {
			p.syntaxError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		p.errorf(extra.Line, "", "holds more than one YAML document (---); one file describes one event")
		return nil
	case !errors.Is(err, io.EOF):
		p.syntaxError(err)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		p.errorf(doc.Line, "", "is not a YAML document")
		return nil
	}
	return doc.Content[0]
}

// fields walks a mapping, calling each for every key in order. It reports
// non-mappings, non-scalar keys and duplicate keys, and returns false when
// n is not a mapping.
func (p *parser) fields(n *yaml.Node, path string, each func(key string, k, v *yaml.Node)) bool {
	if p.alias(n, path) {
		return false
	}
	if n.Kind != yaml.MappingNode {
		where := path
		if where == "" {
			p.errorf(n.Line, "", "must be a mapping of field: value (slug:, title:, …), not %s", kindName(n))
		} else {
			p.errorf(n.Line, where, "must be a mapping of field: value, not %s", kindName(n))
		}
		return false
	}
	p.f.pos[path] = n.Line
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.errorf(k.Line, path, "has a key that is not a plain name (%s)", kindName(k))
			continue
		}
		field := join(path, k.Value)
		if first, dup := seen[k.Value]; dup {
			p.errorf(k.Line, field, "appears twice (first on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		p.f.pos[field] = k.Line
		each(k.Value, k, v)
	}
	return true
}

// alias reports (and rejects) YAML aliases: they make line numbers lie.
func (p *parser) alias(n *yaml.Node, path string) bool {
	if n.Kind == yaml.AliasNode {
		p.errorf(n.Line, path, "uses a YAML alias (*%s); write the value out", n.Value)
		return true
	}
	return false
}

// str reads a single value; null or empty gives "".
func (p *parser) str(n *yaml.Node, path string) (string, bool) {
	if p.alias(n, path) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		p.errorf(n.Line, path, "must be a single value, not %s", kindName(n))
		return "", false
	}
	if n.Tag == "!!null" {
		return "", true
	}
	return strings.TrimSpace(n.Value), true
}

// time reads an RFC 3339 time; absent gives the zero time (reported as
// required by validation).
func (p *parser) time(n *yaml.Node, path string) time.Time {
	s, ok := p.str(n, path)
	if !ok || s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		p.errorf(n.Line, path, "%q is not an RFC 3339 time with an offset (e.g. 2026-05-24T09:00:00-04:00)", s)
		return time.Time{}
	}
	return normalize(t)
}

func (p *parser) unknown(k *yaml.Node, path, known string) {
	p.errorf(k.Line, path, "unknown field (known: %s)", known)
}

const eventFields = "slug, title, description, hashtag, timezone, starts_at, ends_at, posting, moderation, rooms, sessions, sources"

func (p *parser) event(root *yaml.Node) {
	ev := &p.f.Event
	ev.Posting, ev.Moderation = models.PostingOpen, models.ModerationAfter
	p.fields(root, "", func(key string, k, v *yaml.Node) {
		var s string
		switch key {
		case "slug", "title", "description", "hashtag", "timezone", "posting", "moderation":
			s, _ = p.str(v, key)
		}
		switch key {
		case "slug":
			ev.Slug = s
		case "title":
			ev.Title = s
		case "description":
			ev.Description = s
		case "hashtag":
			ev.Hashtag = s
		case "timezone":
			ev.Timezone = s
		case "posting":
			if s != "" {
				ev.Posting = s
			}
		case "moderation":
			if s != "" {
				ev.Moderation = s
			}
		case "starts_at":
			ev.StartsAt = p.time(v, key)
		case "ends_at":
			ev.EndsAt = p.time(v, key)
		case "rooms":
			p.roomsSeen = true
			p.list(v, key, p.room)
		case "sessions":
			p.list(v, key, p.session)
		case "sources":
			p.list(v, key, p.source)
		default:
			p.unknown(k, key, eventFields)
		}
	})
}

// list walks a sequence (null is an empty list).
func (p *parser) list(n *yaml.Node, path string, each func(path string, n *yaml.Node)) {
	if p.alias(n, path) || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n.Line, path, "must be a list (entries starting with -), not %s", kindName(n))
		return
	}
	if len(n.Content) > maxEntries {
		p.errorf(n.Line, path, "has %d entries; at most %d", len(n.Content), maxEntries)
		return
	}
	for i, item := range n.Content {
		each(fmt.Sprintf("%s[%d]", path, i), item)
	}
}

const roomFields = "slug, name"

func (p *parser) room(path string, n *yaml.Node) {
	r := models.Room{Position: len(p.f.Rooms)}
	p.fields(n, path, func(key string, k, v *yaml.Node) {
		field := path + "." + key
		switch key {
		case "slug":
			r.Slug, _ = p.str(v, field)
		case "name":
			r.Name, _ = p.str(v, field)
		default:
			p.unknown(k, field, roomFields)
		}
	})
	if r.Name == "" {
		r.Name = r.Slug
	}
	p.f.Rooms = append(p.f.Rooms, r)
}

const sessionFields = "slug, title, speaker, speaker_handles, room, track, tags, schedule_id, starts_at, ends_at"

func (p *parser) session(path string, n *yaml.Node) {
	var s models.Session
	room := ""
	p.fields(n, path, func(key string, k, v *yaml.Node) {
		field := path + "." + key
		switch key {
		case "slug":
			s.Slug, _ = p.str(v, field)
		case "title":
			s.Title, _ = p.str(v, field)
		case "speaker":
			s.Speaker, _ = p.str(v, field)
		case "room":
			room, _ = p.str(v, field)
		case "track":
			s.Track, _ = p.str(v, field)
		case "schedule_id":
			s.ScheduleID, _ = p.str(v, field)
		case "tags":
			s.Tags = p.strings(v, field)
		case "speaker_handles":
			s.SpeakerHandles = p.strings(v, field)
		case "starts_at":
			s.StartsAt = p.time(v, field)
		case "ends_at":
			s.EndsAt = p.time(v, field)
		default:
			p.unknown(k, field, sessionFields)
		}
	})
	// Appended even when not a mapping, so indexes keep matching the file.
	p.f.Sessions = append(p.f.Sessions, s)
	p.roomOf = append(p.roomOf, room)
}

// strings reads a list of single values (one value reads as a list of one).
func (p *parser) strings(n *yaml.Node, path string) models.StringList {
	v, ok := p.value(n, path)
	if !ok || v == nil {
		return nil
	}
	switch x := v.(type) {
	case string:
		return models.StringList{strings.TrimSpace(x)}
	case []any:
		out := make(models.StringList, 0, len(x))
		for _, e := range x {
			out = append(out, e.(string))
		}
		return out
	}
	return nil
}

// resolveRooms points each session at its room. With a rooms list, a
// session's room is one of its slugs (or names); without one, the rooms are
// those the sessions name, each with a slug made from its name.
func (p *parser) resolveRooms() {
	f := p.f
	if !p.roomsSeen {
		bySlug := map[string]int{}
		for _, name := range p.roomOf {
			if name == "" {
				continue
			}
			slug := Slugify(name, "room")
			if _, ok := bySlug[slug]; !ok {
				bySlug[slug] = len(f.Rooms)
				f.Rooms = append(f.Rooms, models.Room{Slug: slug, Name: name, Position: len(f.Rooms)})
			}
		}
	}
	for i, want := range p.roomOf {
		if want == "" || i >= len(f.Sessions) {
			continue
		}
		if r := findRoom(f.Rooms, want); r != nil {
			f.Sessions[i].Room = r
			continue
		}
		slugs := make([]string, len(f.Rooms))
		for j := range f.Rooms {
			slugs[j] = f.Rooms[j].Slug
		}
		field := fmt.Sprintf("sessions[%d].room", i)
		p.errorf(f.pos[field], field, "%q is not one of the rooms (%s)", want, strings.Join(slugs, ", "))
	}
}

// findRoom finds a room by slug, else by name (case-insensitively), else by
// the slug its name makes.
func findRoom(rooms []models.Room, want string) *models.Room {
	for i := range rooms {
		if rooms[i].Slug == want {
			return &rooms[i]
		}
	}
	for i := range rooms {
		if strings.EqualFold(rooms[i].Name, want) || rooms[i].Slug == Slugify(want, "") {
			return &rooms[i]
		}
	}
	return nil
}

func (p *parser) source(path string, n *yaml.Node) {
	src := Source{Enabled: true, Fields: map[string]any{}}
	kindSeen := false
	ok := p.fields(n, path, func(key string, k, v *yaml.Node) {
		field := path + "." + key
		switch key {
		case "kind":
			kindSeen = true
			if s, ok := p.str(v, field); ok {
				src.Kind = s
			} else {
				p.f.bad[field] = true
			}
		case "enabled":
			if p.alias(v, field) {
				return
			}
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
				p.errorf(v.Line, field, "must be true or false")
				return
			}
			var b bool
			if err := v.Decode(&b); err != nil {
				p.errorf(v.Line, field, "must be true or false")
				return
			}
			src.Enabled = b
		default:
			if val, ok := p.value(v, field); ok && val != nil {
				src.Fields[key] = val
			}
		}
	})
	if ok && !kindSeen {
		p.errorf(p.f.pos[path], path+".kind", "is required (one of %s)", strings.Join(SourceKinds(), ", "))
	}
	p.f.Sources = append(p.f.Sources, src)
}

// value reads a source field: a single value as a string, or a list of
// single values as []any.
func (p *parser) value(n *yaml.Node, path string) (any, bool) {
	if p.alias(n, path) {
		return nil, false
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil, true
		}
		return n.Value, true
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			s, ok := p.str(item, fmt.Sprintf("%s[%d]", path, i))
			if !ok {
				p.f.bad[path] = true
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	p.errorf(n.Line, path, "must be a single value or a list, not %s", kindName(n))
	return nil, false
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	if n.Tag == "!!null" {
		return "empty"
	}
	return fmt.Sprintf("the single value %q", n.Value)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
