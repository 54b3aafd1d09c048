package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
)

func (s *server) sourcesResource() *Resource {
	r := &Resource{
		Key: "sources", Singular: "source", Plural: "Sources", ObjectType: "source",
		Table: "sources", IDColumn: "id", EventScoped: true, Title: "t.kind || ' ' || t.key",
		Columns: []Column{
			{Key: "key", Label: "Source", SQL: "t.key", Sortable: true, Link: true},
			{Key: "kind", Label: "Kind", SQL: "t.kind", Sortable: true},
			{Key: "enabled", Label: "Enabled", SQL: "CASE WHEN t.enabled THEN 'yes' ELSE 'no' END", Sortable: true},
			{Key: "items", Label: "Items", SQL: "(SELECT count(*) FROM items i WHERE i.event_id = t.event_id AND i.source_id = t.id)"},
			{Key: "last", Label: "Last item", SQL: "(SELECT to_char(max(i.received_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM items i WHERE i.event_id = t.event_id AND i.source_id = t.id)"},
			{Key: "updated", Label: "Changed", SQL: "to_char(t.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')", Sortable: true},
		},
		Filters: []Filter{
			{Key: "kind", Label: "kind", SQL: "t.kind", Choices: sourceKinds()},
			{Key: "enabled", Label: "state", SQL: "t.enabled", Choices: []Choice{{Value: "true", Label: "enabled"}, {Value: "false", Label: "disabled"}}},
		},
		Search:      []string{"t.key", "t.config::text"},
		DefaultSort: "key",
		ViewPerm:    PermEventManage, EditPerm: PermEventManage, CreatePerm: PermEventManage, DeletePerm: PermEventManage,
		Fields: []Field{
			{Name: "kind", Label: "Kind", Type: "select", Required: true, Choices: sourceKinds()},
			{Name: "config", Label: "Configuration", Type: "json", Required: true,
				Help: `The source's fields as in the event file, in JSON, e.g. {"instance": "https://mastodon.social", "tag": "aeaboston", "token_env": "MASTODON_TOKEN"}. Secrets are named (token_env), never written here.`},
			{Name: "enabled", Label: "Enabled (a worker runs it)", Type: "checkbox"},
		},
	}
	r.Load = func(ctx context.Context, db *gorm.DB, sc Scope, id int64) (Values, error) {
		var src models.Source
		if err := db.Where("id = ? AND event_id = ?", id, sc.EventID()).Take(&src).Error; err != nil {
			return nil, notFound(err, "source", id)
		}
		var pretty bytes.Buffer
		if err := json.Indent(&pretty, src.Config, "", "  "); err != nil {
			pretty.Write(src.Config)
		}
		return Values{"kind": src.Kind, "config": pretty.String(), "enabled": checkbox(src.Enabled)}, nil
	}
	r.Save = func(ctx context.Context, tx *gorm.DB, sc Scope, id int64, v Values) (int64, any, any, *models.ValidationError, error) {
		var cfg map[string]any
		dec := json.NewDecoder(bytes.NewReader([]byte(v["config"])))
		dec.UseNumber()
		if err := dec.Decode(&cfg); err != nil || cfg == nil {
			return 0, nil, nil, fieldErr("config", "must be a JSON object of the source's fields, like {\"url\": \"https://example.org/feed.atom\"}"), nil
		}
		for k, x := range cfg { // the event file's values are strings or lists of strings
			if n, ok := x.(json.Number); ok {
				cfg[k] = n.String()
			}
		}
		key, normalized, verr := s.d.EventFiles.ValidateSource(v["kind"], cfg)
		if verr != nil {
			return 0, nil, nil, configErrors(verr), nil
		}
		var taken int64
		if err := tx.Model(&models.Source{}).Where("event_id = ? AND key = ? AND id <> ?", sc.EventID(), key, id).Count(&taken).Error; err != nil {
			return 0, nil, nil, nil, err
		}
		if taken > 0 {
			return 0, nil, nil, fieldErr("config", fmt.Sprintf("this event already has the source %s", key)), nil
		}
		enabled := v["enabled"] == "on"
		if id == 0 {
			src := models.Source{EventID: sc.EventID(), Kind: v["kind"], Key: key, Config: normalized, Enabled: enabled}
			if err := tx.Create(&src).Error; err != nil {
				return 0, nil, nil, nil, err
			}
			after, err := snapshotRow(ctx, tx, "sources", "id", src.ID, "")
			return src.ID, nil, after, nil, err
		}
		before, err := snapshotRow(ctx, tx, "sources", "id", id, "event_id = ?", sc.EventID())
		if err != nil {
			return 0, nil, nil, nil, err
		}
		err = tx.Model(&models.Source{}).Where("id = ? AND event_id = ?", id, sc.EventID()).Updates(map[string]any{
			"kind": v["kind"], "key": key, "config": normalized, "enabled": enabled, "updated_at": time.Now()}).Error
		if err != nil {
			return 0, nil, nil, nil, err
		}
		after, err := snapshotRow(ctx, tx, "sources", "id", id, "")
		return id, before, after, nil, err
	}
	r.Snapshot = func(ctx context.Context, tx *gorm.DB, sc Scope, id int64) (any, error) {
		return snapshotRow(ctx, tx, "sources", "id", id, "event_id = ?", sc.EventID())
	}
	r.Cascade = func(ctx context.Context, db *gorm.DB, ids []int64) ([]Consequence, error) {
		return countAll(db, []countQuery{
			{"items kept, no longer linked to their source", "SELECT count(*) FROM items WHERE source_id IN ?"},
		}, ids)
	}
	r.Actions = []Action{
		setEnabledAction(true), setEnabledAction(false), deleteAction(r),
	}
	return r
}

// setEnabledAction starts (enable) or stops (disable) the selected sources;
// workers pick the change up from the sources table.
func setEnabledAction(on bool) Action {
	name, label := "disable", "Disable (stop) selected sources"
	if on {
		name, label = "enable", "Enable (start) selected sources"
	}
	return Action{Name: name, Label: label, Run: func(ctx context.Context, tx *gorm.DB, sc Scope, ids []int64) (string, func(context.Context) error, error) {
		n, err := setSourcesEnabled(ctx, tx, sc, ids, on)
		if err != nil {
			return "", nil, err
		}
		return fmt.Sprintf("%sd %d %s.", capitalizeFirst(name), n, plural(n, "source", "sources")), nil, nil
	}}
}

// setSourcesEnabled flips enabled on the sources that need it, auditing each.
func setSourcesEnabled(ctx context.Context, tx *gorm.DB, sc Scope, ids []int64, on bool) (int, error) {
	var srcs []models.Source
	if err := tx.Where("event_id = ? AND id IN ? AND enabled <> ?", sc.EventID(), ids, on).Order("id").Find(&srcs).Error; err != nil {
		return 0, fmt.Errorf("admin: sources: %w", err)
	}
	for _, src := range srcs {
		if err := tx.Model(&models.Source{}).Where("id = ?", src.ID).Updates(map[string]any{"enabled": on, "updated_at": time.Now()}).Error; err != nil {
			return 0, fmt.Errorf("admin: set source %d enabled: %w", src.ID, err)
		}
		action := "disable"
		if on {
			action = "enable"
		}
		if err := writeAudit(tx, sc.Actor, action, "source", src.ID, sc.eventPtr(),
			map[string]any{"enabled": !on}, map[string]any{"enabled": on}, src.Key); err != nil {
			return 0, err
		}
	}
	return len(srcs), nil
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

func checkbox(b bool) string {
	if b {
		return "on"
	}
	return ""
}

func capitalizeFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
