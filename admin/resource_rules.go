package admin

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/moderation"
	"github.com/backchannel/backchannel/store"
)

// rulesResource is the ban list: blocked authors and words of one event,
// with who added each and when.
func (s *server) rulesResource() *Resource {
	r := &Resource{
		Key: "rules", Singular: "ban", Plural: "Bans", ObjectType: "moderation_rule",
		Table: "moderation_rules", IDColumn: "id", EventScoped: true, Title: "t.kind || ': ' || t.value",
		Columns: []Column{
			{Key: "value", Label: "Blocked", SQL: "t.value", Sortable: true, Link: true},
			{Key: "kind", Label: "Kind", SQL: "t.kind", Sortable: true},
			{Key: "note", Label: "Note", SQL: "t.note"},
			{Key: "by", Label: "Banned by", SQL: "coalesce((SELECT email FROM users u WHERE u.id = t.created_by), '')", Sortable: true},
			{Key: "created", Label: "When", SQL: "to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC'", Sortable: true},
		},
		Filters:     []Filter{{Key: "kind", Label: "kind", SQL: "t.kind", Choices: []Choice{{Value: "author", Label: "authors"}, {Value: "word", Label: "words"}}}},
		Search:      []string{"t.value", "t.note"},
		DefaultSort: "-created",
		ViewPerm:    PermEventModerate, EditPerm: PermEventModerate, CreatePerm: PermEventModerate, DeletePerm: PermEventModerate,
		Fields: []Field{
			{Name: "kind", Label: "Kind", Type: "select", Required: true, Choices: []Choice{
				{Value: "author", Label: "author (a handle like @ana@example.social, or a name)"}, {Value: "word", Label: "word or phrase"}}},
			{Name: "value", Label: "Value", Type: "text", Required: true},
			{Name: "note", Label: "Note", Type: "text", Help: "Why, for the other moderators."},
		},
	}
	r.Load = func(ctx context.Context, db *gorm.DB, sc Scope, id int64) (Values, error) {
		var m models.ModerationRule
		if err := db.Where("id = ? AND event_id = ?", id, sc.EventID()).Take(&m).Error; err != nil {
			return nil, notFound(err, "ban", id)
		}
		return Values{"kind": m.Kind, "value": m.Value, "note": m.Note}, nil
	}
	r.Save = func(ctx context.Context, tx *gorm.DB, sc Scope, id int64, v Values) (int64, any, any, *models.ValidationError, error) {
		m := models.ModerationRule{ID: id, EventID: sc.EventID(), Kind: v["kind"], Value: v["value"], Note: v["note"]}
		verr := validateRule(&m)
		if verr == nil {
			var taken int64
			if err := tx.Model(&models.ModerationRule{}).Where("event_id = ? AND kind = ? AND lower(value) = lower(?) AND id <> ?",
				m.EventID, m.Kind, m.Value, id).Count(&taken).Error; err != nil {
				return 0, nil, nil, nil, err
			}
			if taken > 0 {
				verr = fieldErr("value", "is already banned in this event")
			}
		}
		if verr != nil {
			return 0, nil, nil, verr, nil
		}
		if id == 0 {
			if sc.Actor.UserID != 0 {
				uid := sc.Actor.UserID
				m.CreatedBy = &uid
			}
			if err := tx.Create(&m).Error; err != nil {
				return 0, nil, nil, nil, err
			}
			after, err := snapshotRow(ctx, tx, "moderation_rules", "id", m.ID, "")
			return m.ID, nil, after, nil, err
		}
		before, err := snapshotRow(ctx, tx, "moderation_rules", "id", id, "event_id = ?", sc.EventID())
		if err != nil {
			return 0, nil, nil, nil, err
		}
		if err := tx.Model(&models.ModerationRule{}).Where("id = ? AND event_id = ?", id, sc.EventID()).
			Updates(map[string]any{"kind": m.Kind, "value": m.Value, "note": m.Note}).Error; err != nil {
			return 0, nil, nil, nil, err
		}
		after, err := snapshotRow(ctx, tx, "moderation_rules", "id", id, "")
		return id, before, after, nil, err
	}
	r.Snapshot = func(ctx context.Context, tx *gorm.DB, sc Scope, id int64) (any, error) {
		return snapshotRow(ctx, tx, "moderation_rules", "id", id, "event_id = ?", sc.EventID())
	}
	del := deleteAction(r)
	del.Label = "Lift selected bans"
	r.Actions = []Action{s.applyRulesAction(), del}
	return r
}

// validateRule checks a moderation rule's fields.
func validateRule(m *models.ModerationRule) *models.ValidationError {
	v := &models.ValidationError{}
	m.Value = strings.TrimSpace(m.Value)
	if m.Kind != "author" && m.Kind != "word" {
		v.Add("kind", "must be author or word")
	}
	switch n := utf8.RuneCountInString(m.Value); {
	case n == 0:
		v.Add("value", "is required")
	case n > 200:
		v.Add("value", "is %d characters long; at most 200", n)
	}
	if utf8.RuneCountInString(m.Note) > 500 {
		v.Add("note", "is longer than 500 characters")
	}
	if len(v.Fields) == 0 {
		return nil
	}
	return v
}

// applyRulesAction hides past items that the selected rules match.
func (s *server) applyRulesAction() Action {
	return Action{Name: "apply", Label: "Apply to past items (hide what they match)",
		Run: func(ctx context.Context, tx *gorm.DB, sc Scope, ids []int64) (string, func(context.Context) error, error) {
			var rules []models.ModerationRule
			if err := tx.Where("event_id = ? AND id IN ?", sc.EventID(), ids).Find(&rules).Error; err != nil {
				return "", nil, fmt.Errorf("admin: rules: %w", err)
			}
			// The one matcher of ingest decides; SQL only pages through candidates.
			seqs, err := moderation.MatchPast(ctx, store.New(tx), sc.EventID(), moderation.Compile(rules, false))
			if err != nil {
				return "", nil, fmt.Errorf("admin: apply rules: %w", err)
			}
			if err := s.setHidden(ctx, tx, sc, seqs, true, "apply bans"); err != nil {
				return "", nil, err
			}
			msg := fmt.Sprintf("Hid %d past %s.", len(seqs), plural(len(seqs), "item", "items"))
			return msg, func(ctx context.Context) error { return s.appendOps(ctx, sc.EventID(), "hide", seqs) }, nil
		}}
}
