package resources

import (
	"context"
	"fmt"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/crud"
	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/moderation"
	"github.com/backchannel/backchannel/store"
)

// Rules declares the ban list: blocked authors and words of one event,
// with who added each and when (moderators).
func Rules(verbs *moderation.Verbs) *crud.Resource {
	return &crud.Resource{
		Key: "rules", Singular: "ban", Plural: "Bans", ObjectType: "moderation_rule",
		Table: "moderation_rules", Kind: crud.InEvent, Title: "t.kind || ': ' || t.value",
		Columns: []crud.Column{
			{Key: "value", Label: "Blocked", SQL: "t.value", Sortable: true, Link: true},
			{Key: "kind", Label: "Kind", SQL: "t.kind", Sortable: true},
			{Key: "note", Label: "Note", SQL: "t.note"},
			{Key: "by", Label: "Banned by", SQL: "coalesce((SELECT email FROM users u WHERE u.id = t.created_by), '')", Sortable: true},
			{Key: "created", Label: "When", SQL: "to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC'", Sortable: true},
		},
		Filters:     []crud.Filter{{Key: "kind", Label: "kind", SQL: "t.kind", Choices: []crud.Choice{{Value: "author", Label: "authors"}, {Value: "word", Label: "words"}}}},
		Search:      []string{"t.value", "t.note"},
		DefaultSort: "-created",
		ViewPerm:    auth.PermEventModerate, EditPerm: auth.PermEventModerate, CreatePerm: auth.PermEventModerate, DeletePerm: auth.PermEventModerate,
		DeleteLabel: "Lift selected bans",
		Fields: []crud.Field{
			{Name: "kind", Label: "Kind", Type: "select", Required: true, Choices: []crud.Choice{
				{Value: "author", Label: "author (a handle like @ana@example.social, or a name)"}, {Value: "word", Label: "word or phrase"}}},
			{Name: "value", Label: "Value", Type: "text", Required: true},
			{Name: "note", Label: "Note", Type: "text", Help: "Why, for the other moderators."},
		},
		Clean:   cleanRule,
		Actions: []crud.Action{applyRules(verbs)},
	}
}

// cleanRule validates a ban with moderation.ValidateRule, the check Ban
// uses too; a new ban records who added it.
func cleanRule(ctx context.Context, st *store.Store, sc crud.Scope, id int64, v crud.Values) (crud.Columns, *models.ValidationError, error) {
	m := models.ModerationRule{Kind: v["kind"], Value: v["value"], Note: v["note"]}
	if verr := moderation.ValidateRule(&m); verr != nil {
		return nil, verr, nil
	}
	taken, err := st.RuleTaken(ctx, sc.EventID(), m.Kind, m.Value, id)
	if err != nil {
		return nil, nil, err
	}
	if taken {
		return nil, crud.FieldError("value", "is already banned in this event"), nil
	}
	cols := crud.Columns{"kind": m.Kind, "value": m.Value, "note": m.Note}
	if id == 0 && sc.Actor.UserID != 0 {
		cols["created_by"] = sc.Actor.UserID
	}
	return cols, nil, nil
}

// applyRules hides the past items the selected bans match (stored and
// not strained yet alike), through the moderation verbs.
func applyRules(verbs *moderation.Verbs) crud.Action {
	return crud.Action{Name: "apply", Label: "Apply to past items (hide what they match)",
		Run: func(ctx context.Context, sc crud.Scope, ids []int64) (string, error) {
			res, err := verbs.ApplyRules(ctx, sc.Actor, sc.EventID(), ids)
			if err != nil {
				return "", err
			}
			msg := fmt.Sprintf("Hid %d past %s.", len(res.Changed), ui.Plural(len(res.Changed), "item", "items"))
			switch {
			case len(res.NotTold) > 0:
				msg += fmt.Sprintf(" %d not stored yet could not be hidden in the live log: apply again.", len(res.NotTold))
			case res.LiveErr != nil:
				msg += " (The live stream could not be updated; open pages catch up at their next snapshot.)"
			}
			return msg, nil
		}}
}
