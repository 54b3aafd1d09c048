package resources

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/crud"
	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/eventfile"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// Sources declares one event's sources (organizers): the form takes the
// same fields as the event file, checked by eventfile.ValidateSource. With
// tokens, each source has a token page beside its form (sourcetoken.go).
func Sources(st *store.Store, tokens bool) *crud.Resource {
	kinds := crud.Choices(eventfile.SourceKinds()...)
	var pages []crud.ObjectPage
	if tokens {
		pages = []crud.ObjectPage{{Label: "Token and connection test", Path: "/token"}}
	}
	return &crud.Resource{
		Pages: pages,
		Key:   "sources", Singular: "source", Plural: "Sources", ObjectType: "source",
		Table: "sources", Kind: crud.InEvent, UpdatedAt: true, Title: "t.kind || ' ' || t.key",
		Columns: []crud.Column{
			{Key: "key", Label: "Source", SQL: "t.key", Sortable: true, Link: true},
			{Key: "kind", Label: "Kind", SQL: "t.kind", Sortable: true},
			{Key: "enabled", Label: "Enabled", SQL: "CASE WHEN t.enabled THEN 'yes' ELSE 'no' END", Sortable: true},
			{Key: "items", Label: "Items", SQL: "(SELECT count(*) FROM items i WHERE i.event_id = t.event_id AND i.source_id = t.id)"},
			{Key: "last", Label: "Last item", SQL: "(SELECT to_char(max(i.received_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM items i WHERE i.event_id = t.event_id AND i.source_id = t.id)"},
			{Key: "updated", Label: "Changed", SQL: "to_char(t.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')", Sortable: true},
		},
		Filters: []crud.Filter{
			{Key: "kind", Label: "kind", SQL: "t.kind", Choices: kinds},
			{Key: "enabled", Label: "state", SQL: "t.enabled", Choices: []crud.Choice{{Value: "true", Label: "enabled"}, {Value: "false", Label: "disabled"}}},
		},
		Search:      []string{"t.key", "t.config::text"},
		DefaultSort: "key",
		ViewPerm:    auth.PermEventManage, EditPerm: auth.PermEventManage, CreatePerm: auth.PermEventManage, DeletePerm: auth.PermEventManage,
		Fields: []crud.Field{
			{Name: "kind", Label: "Kind", Type: "select", Required: true, Choices: kinds},
			{Name: "config", Label: "Configuration", Type: "json", Required: true,
				Help: `The source's fields as in the event file, in JSON, e.g. {"instance": "https://mastodon.social", "tag": "aeaboston", "token_env": "MASTODON_TOKEN"}. Secrets are never written here: name an environment variable the operator allows (token_env), or enter the token on the source's token page.`},
			{Name: "enabled", Label: "Enabled (a worker runs it)", Type: "checkbox"},
			{Name: "filter_replies", Label: "Drop replies", Type: "checkbox", Help: "On top of the event's filters."},
			{Name: "filter_reposts", Label: "Drop boosts and reposts", Type: "checkbox"},
			{Name: "filter_bots", Label: "Drop posts of bot accounts", Type: "checkbox"},
			{Name: "filter_sensitive", Label: "Drop posts marked sensitive", Type: "checkbox"},
			{Name: "filter_languages", Label: "Only these languages", Type: "text", Help: "ISO 639-1 codes separated by commas, like en, de (empty: all)."},
		},
		Cascade: []store.AdminCountQuery{
			{Label: "items kept, no longer linked to their source", SQL: "SELECT count(*) FROM items WHERE source_id IN ?"},
		},
		Clean:   cleanSource,
		Actions: []crud.Action{setEnabled(st, true), setEnabled(st, false)},
	}
}

// cleanSource reads the JSON configuration and validates it as an event
// file's source, which also names its key and normalizes it.
func cleanSource(ctx context.Context, st *store.Store, sc crud.Scope, id int64, v crud.Values) (crud.Columns, *models.ValidationError, error) {
	var cfg map[string]any
	dec := json.NewDecoder(bytes.NewReader([]byte(v["config"])))
	dec.UseNumber()
	if err := dec.Decode(&cfg); err != nil || cfg == nil {
		return nil, crud.FieldError("config", "must be a JSON object of the source's fields, like {\"url\": \"https://example.org/feed.atom\"}"), nil
	}
	for k, x := range cfg { // the event file's values are strings or lists of strings
		if n, ok := x.(json.Number); ok {
			cfg[k] = n.String()
		}
	}
	key, normalized, verr := eventfile.ValidateSource(v["kind"], cfg)
	if verr != nil {
		return nil, configErrors(verr), nil
	}
	taken, err := st.RowExists(ctx, "sources", store.Where("event_id = ? AND key = ? AND id <> ?", sc.EventID(), key, id))
	if err != nil {
		return nil, nil, err
	}
	if taken {
		return nil, crud.FieldError("config", "this event already has the source %s", key), nil
	}
	langs, lerr := cleanLanguages(v["filter_languages"])
	if lerr != nil {
		return nil, lerr, nil
	}
	return crud.Columns{"kind": v["kind"], "key": key, "config": string(normalized), "enabled": v["enabled"] == "on",
		"filter_replies": v["filter_replies"] != "", "filter_reposts": v["filter_reposts"] != "", "filter_bots": v["filter_bots"] != "",
		"filter_sensitive": v["filter_sensitive"] != "", "filter_languages": langs}, nil, nil
}

// configErrors moves errors about config fields onto the config input.
func configErrors(verr *models.ValidationError) *models.ValidationError {
	out := &models.ValidationError{}
	for _, fe := range verr.Fields {
		if fe.Field == "kind" {
			out.Fields = append(out.Fields, fe)
			continue
		}
		out.Add("config", "%s: %s", fe.Field, fe.Message)
	}
	sort.SliceStable(out.Fields, func(i, j int) bool { return out.Fields[i].Field < out.Fields[j].Field })
	return out
}

// setEnabled starts (enable) or stops (disable) the selected sources.
func setEnabled(st *store.Store, on bool) crud.Action {
	name, label := "disable", "Disable (stop) selected sources"
	if on {
		name, label = "enable", "Enable (start) selected sources"
	}
	return crud.Action{Name: name, Label: label, Run: func(ctx context.Context, sc crud.Scope, ids []int64) (string, error) {
		n, err := st.AdminSetSourcesEnabled(ctx, sc.Actor, sc.EventID(), ids, on)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%sd %d %s.", strings.ToUpper(name[:1])+name[1:], n, ui.Plural(n, "source", "sources")), nil
	}}
}
