package eventfile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"go.yaml.in/yaml/v3"
	"gorm.io/gorm"

	"github.com/backchannel/backchannel/store"
)

// ExportFile writes the event with the given slug, its sessions and its
// sources as an event file; applying it back changes nothing.
func ExportFile(ctx context.Context, db *gorm.DB, slug string) ([]byte, error) {
	f, err := Load(ctx, db, slug)
	if err != nil {
		return nil, err
	}
	return f.Marshal()
}

// Load reads an event, its sessions (in time order) and its sources (in
// creation order) from the database as a File. It wraps models.ErrNotFound
// for an unknown slug.
func Load(ctx context.Context, db *gorm.DB, slug string) (*File, error) {
	st := store.New(db)
	ev, err := st.EventBySlug(ctx, slug)
	if err != nil {
		return nil, fmt.Errorf("eventfile: load: %w", err)
	}
	srcs, err := st.SourcesOfEvent(ctx, ev.ID)
	if err != nil {
		return nil, fmt.Errorf("eventfile: load sources of %q: %w", slug, err)
	}
	f := &File{Name: slug + ".yaml", Rooms: ev.Rooms, Sessions: ev.Sessions}
	f.Event = *ev
	f.Event.Sessions, f.Event.Rooms = nil, nil
	for _, s := range srcs {
		fields := map[string]any{}
		if err := json.Unmarshal(s.Config, &fields); err != nil {
			return nil, fmt.Errorf("eventfile: load source %q of %q: config: %w", s.Key, slug, err)
		}
		f.Sources = append(f.Sources, Source{Kind: s.Kind, Enabled: s.Enabled, Fields: fields, Key: s.Key, Config: s.Config})
	}
	return f, nil
}

// Marshal writes f as an event file: fields in the order docs/API.md lists them,
// times in the event's time zone, empty optional fields left out.
func (f *File) Marshal() ([]byte, error) {
	ev := &f.Event
	loc := ev.Location()
	root := &yaml.Node{Kind: yaml.MappingNode}
	put(root, "slug", str(ev.Slug))
	put(root, "title", str(ev.Title))
	if ev.Description != "" {
		put(root, "description", str(ev.Description))
	}
	if ev.Hashtag != "" {
		put(root, "hashtag", str(ev.Hashtag))
	}
	put(root, "timezone", str(ev.Timezone))
	put(root, "starts_at", stamp(ev.StartsAt, loc))
	put(root, "ends_at", stamp(ev.EndsAt, loc))
	put(root, "posting", str(ev.Posting))
	put(root, "moderation", str(ev.Moderation))
	if len(f.Rooms) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, r := range f.Rooms {
			m := &yaml.Node{Kind: yaml.MappingNode}
			put(m, "slug", str(r.Slug))
			put(m, "name", str(r.Name))
			seq.Content = append(seq.Content, m)
		}
		put(root, "rooms", seq)
	}
	if len(f.Sessions) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, s := range f.Sessions {
			m := &yaml.Node{Kind: yaml.MappingNode}
			put(m, "slug", str(s.Slug))
			put(m, "title", str(s.Title))
			if s.Speaker != "" {
				put(m, "speaker", str(s.Speaker))
			}
			if len(s.SpeakerHandles) > 0 {
				put(m, "speaker_handles", flowList(s.SpeakerHandles))
			}
			if r := s.RoomSlug(); r != "" {
				put(m, "room", str(r))
			}
			if s.Track != "" {
				put(m, "track", str(s.Track))
			}
			if len(s.Tags) > 0 {
				put(m, "tags", flowList(s.Tags))
			}
			if s.ScheduleID != "" {
				put(m, "schedule_id", str(s.ScheduleID))
			}
			put(m, "starts_at", stamp(s.StartsAt, loc))
			put(m, "ends_at", stamp(s.EndsAt, loc))
			seq.Content = append(seq.Content, m)
		}
		put(root, "sessions", seq)
	}
	if len(f.Sources) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, s := range f.Sources {
			m, err := sourceNode(s)
			if err != nil {
				return nil, err
			}
			seq.Content = append(seq.Content, m)
		}
		put(root, "sources", seq)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		return nil, fmt.Errorf("eventfile: write %q: %w", ev.Slug, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("eventfile: write %q: %w", ev.Slug, err)
	}
	return buf.Bytes(), nil
}

// sourceNode writes a source: kind, name, then its kind's fields in order,
// normalized (from Config) when the source was validated.
func sourceNode(s Source) (*yaml.Node, error) {
	if len(s.Config) > 0 {
		fields := map[string]any{}
		if err := json.Unmarshal(s.Config, &fields); err != nil {
			return nil, fmt.Errorf("eventfile: write source %q: config: %w", s.Key, err)
		}
		s.Fields = fields
	}
	m := &yaml.Node{Kind: yaml.MappingNode}
	put(m, "kind", str(s.Kind))
	order := []string{"name"}
	if spec, ok := specFor(s.Kind); ok {
		order = append(order, spec.fields...)
	}
	written := map[string]bool{}
	for _, name := range order {
		if v, ok := s.Fields[name]; ok {
			n, err := valueNode(v)
			if err != nil {
				return nil, fmt.Errorf("eventfile: write source %q: %s: %w", s.Key, name, err)
			}
			put(m, name, n)
			written[name] = true
		}
	}
	rest := make([]string, 0, len(s.Fields))
	for name := range s.Fields { // none in a valid source; kept so nothing is lost silently
		if !written[name] {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	for _, name := range rest {
		n, err := valueNode(s.Fields[name])
		if err != nil {
			return nil, fmt.Errorf("eventfile: write source %q: %s: %w", s.Key, name, err)
		}
		put(m, name, n)
	}
	if !s.Enabled {
		put(m, "enabled", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "false"})
	}
	return m, nil
}

func valueNode(v any) (*yaml.Node, error) {
	switch x := v.(type) {
	case string:
		return str(x), nil
	case []string:
		seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, s := range x {
			seq.Content = append(seq.Content, str(s))
		}
		return seq, nil
	case []any:
		seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, it := range x {
			s, ok := it.(string)
			if !ok {
				return nil, fmt.Errorf("list item of type %T", it)
			}
			seq.Content = append(seq.Content, str(s))
		}
		return seq, nil
	case time.Duration:
		return str(formatDuration(x)), nil
	}
	return nil, fmt.Errorf("value of type %T", v)
}

func flowList(l []string) *yaml.Node {
	seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, s := range l {
		seq.Content = append(seq.Content, str(s))
	}
	return seq
}

func put(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

// str is a string scalar; the encoder quotes it when it would read as
// another type (true, 2026, ~).
func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func stamp(t time.Time, loc *time.Location) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!timestamp", Value: t.In(loc).Format(time.RFC3339Nano)}
}
