package resources

import (
	"context"
	"fmt"
	"time"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/admin/crud"
	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/moderation"
	"github.com/backchannel/backchannel/store"
)

// Rules declares the ban list of one event (moderators): blocked authors
// and words, room posters' browsers and addresses (banned from the
// console), and the allow list of trusted accounts, with who added each,
// when, and when it ends; deleting a rule lifts it.
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
			{Key: "ends", Label: "Ends", SQL: "CASE WHEN t.expires_at IS NULL THEN 'when lifted' WHEN t.expires_at <= now() THEN 'ended ' || to_char(t.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC' ELSE to_char(t.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC' END", Sortable: true},
		},
		Filters: []crud.Filter{
			{Key: "kind", Label: "kind", SQL: "t.kind", Choices: []crud.Choice{{Value: "author", Label: "authors"}, {Value: "word", Label: "words"},
				{Value: "client", Label: "room posters' browsers"}, {Value: "address", Label: "addresses"}, {Value: "allow", Label: "trusted (allow list)"}}},
			{Key: "state", Label: "state", SQL: "CASE WHEN t.expires_at IS NULL OR t.expires_at > now() THEN 'active' ELSE 'ended' END", Choices: crud.Choices("active", "ended")},
		},
		Search:      []string{"t.value", "t.note"},
		DefaultSort: "-created",
		ViewPerm:    auth.PermEventModerate, EditPerm: auth.PermEventModerate, CreatePerm: auth.PermEventModerate, DeletePerm: auth.PermEventModerate,
		DeleteLabel: "Lift selected bans",
		Fields: []crud.Field{
			{Name: "kind", Label: "Kind", Type: "select", Required: true, Choices: []crud.Choice{
				{Value: "author", Label: "author (a handle like @ana@example.social, or a name)"}, {Value: "word", Label: "word or phrase"},
				{Value: "address", Label: "address (an IP address; a venue's attendees often share one)"},
				{Value: "client", Label: "room poster's browser (set from the console's Ban poster)"},
				{Value: "allow", Label: "trusted account (skips the held queue)"}}},
			{Name: "value", Label: "Value", Type: "text", Required: true},
			{Name: "note", Label: "Note", Type: "text", Help: "Why, for the other moderators."},
			{Name: "expires_at", Label: "Ends at", Type: "datetime", Help: "In the event's time zone; empty: until lifted."},
		},
		Clean:   cleanRule,
		Actions: []crud.Action{applyRules(verbs)},
	}
}

// cleanRule validates a ban with moderation.ValidateRule, the check Ban
// uses too; a new ban records who added it.
func cleanRule(ctx context.Context, st *store.Store, sc crud.Scope, id int64, v crud.Values) (crud.Columns, *models.ValidationError, error) {
	m := models.ModerationRule{Kind: v["kind"], Value: v["value"], Note: v["note"]}
	verr := moderation.ValidateRule(&m)
	var ends *time.Time
	if v["expires_at"] != "" {
		loc := time.UTC
		if sc.Event != nil {
			loc = sc.Event.Location()
		}
		if t, ok := crud.ParseLocal(v["expires_at"], loc); ok {
			ends = &t
		} else {
			verr = crud.Merge(verr, crud.FieldError("expires_at", "is not a date and time"))
		}
	}
	if verr != nil {
		return nil, verr, nil
	}
	taken, err := st.RuleTaken(ctx, sc.EventID(), m.Kind, m.Value, id)
	if err != nil {
		return nil, nil, err
	}
	if taken {
		return nil, crud.FieldError("value", "is already banned in this event"), nil
	}
	cols := crud.Columns{"kind": m.Kind, "value": m.Value, "note": m.Note, "expires_at": ends}
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
