package moderation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// Ban is one rule a moderator adds.
type Ban struct {
	// Kind is models.RuleAuthor, RuleWord, RuleAllow, RuleClient or
	// RuleAddress.
	Kind  string
	Value string // a handle or name; a word or phrase; a client hash; an address
	Note  string // why, for the other moderators
	// Past also hides the event's items the rule matches: those stored in
	// Postgres and those only the live log holds so far.
	Past bool
	// Expires ends the rule (nil: until lifted).
	Expires *time.Time
}

// BanResult is what Ban did.
type BanResult struct {
	Rule models.ModerationRule
	// Created is false when the event already had this ban (Past applies
	// it all the same).
	Created bool
	// Hidden is the items Past hid.
	Hidden Result
}

// RuleKinds are the kinds of rule, with what each does, for forms.
var RuleKinds = []struct{ Kind, Label string }{
	{models.RuleAuthor, "author: hide their items (a handle like @ana@example.social, or a name)"},
	{models.RuleWord, "word or phrase: hide items with it"},
	{models.RuleAllow, "allow: a trusted account (full handle) whose items skip the held queue"},
	{models.RuleClient, "browser: a room poster's browser (set from the console)"},
	{models.RuleAddress, "address: an IP address room posts are refused from"},
}

// ValidateRule checks a rule's fields, trimming its value: the one check
// of the admin's ban form and of Ban.
func ValidateRule(m *models.ModerationRule) *models.ValidationError {
	v := &models.ValidationError{}
	m.Value = strings.TrimSpace(m.Value)
	switch n := utf8.RuneCountInString(m.Value); {
	case n == 0:
		v.Add("value", "is required")
	case n > 200:
		v.Add("value", "is %d characters long; at most 200", n)
	}
	switch m.Kind {
	case models.RuleAuthor, models.RuleWord:
	case models.RuleAllow:
		h := strings.TrimPrefix(m.Value, "@")
		if m.Value != "" && (strings.ContainsAny(h, " \t\n") || !strings.Contains(h, "@") && !strings.Contains(h, ".")) {
			v.Add("value", "must be a full handle, like @ana@example.social or ana.bsky.social (a name could be anyone's)")
		}
	case models.RuleClient:
		if m.Value != "" && !isClientHash(m.Value) {
			v.Add("value", "must be a browser's id as the console sets it (32 hexadecimal digits)")
		}
	case models.RuleAddress:
		if m.Value != "" && !validAddress(m.Value) {
			v.Add("value", "must be an IP address, like 203.0.113.7 or 2001:db8::7")
		}
	default:
		v.Add("kind", "must be author, word, allow, client or address")
	}
	if utf8.RuneCountInString(m.Note) > 500 {
		v.Add("note", "is longer than 500 characters")
	}
	if len(v.Fields) == 0 {
		return nil
	}
	return v
}

func isClientHash(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Ban adds a rule to the event (audited, with who added it), unless the
// same ban exists, and with Past hides the items it matches, all in one
// transaction; then the live log is told. Invalid input is a
// *models.ValidationError.
func (v *Verbs) Ban(ctx context.Context, by store.Actor, eventID int64, b Ban) (BanResult, error) {
	m := models.ModerationRule{EventID: eventID, Kind: b.Kind, Value: b.Value, Note: b.Note, ExpiresAt: b.Expires}
	if verr := ValidateRule(&m); verr != nil {
		return BanResult{}, verr
	}
	if by.UserID != 0 {
		m.CreatedBy = &by.UserID
	}
	var res BanResult
	var plan []planned
	err := v.st.Tx(ctx, func(tx *store.Store) error {
		res = BanResult{}
		old, err := tx.RuleByValue(ctx, eventID, m.Kind, m.Value)
		switch {
		case err == nil && !sameEnd(old.ExpiresAt, m.ExpiresAt):
			// Banned again with another end (often: the first ban ran out).
			before := map[string]any{"expires_at": old.ExpiresAt}
			if err := tx.SetRuleExpiry(ctx, old.ID, m.ExpiresAt); err != nil {
				return err
			}
			old.ExpiresAt = m.ExpiresAt
			if err := tx.Audit(ctx, store.Change{Actor: by, Action: "update", ObjectType: "moderation_rule",
				ObjectID: store.ID(old.ID), EventID: eventID, Before: before, After: map[string]any{"expires_at": m.ExpiresAt},
				Message: m.Note}); err != nil {
				return err
			}
			res.Rule, res.Created = *old, true
		case err == nil:
			res.Rule = *old
		case errors.Is(err, models.ErrNotFound):
			if err := tx.CreateRule(ctx, &m); err != nil {
				return err
			}
			after, err := tx.Snapshot(ctx, "moderation_rules", m.ID, "")
			if err != nil {
				return err
			}
			if err := tx.Audit(ctx, store.Change{Actor: by, Action: "create", ObjectType: "moderation_rule",
				ObjectID: store.ID(m.ID), EventID: eventID, After: after, Message: m.Note}); err != nil {
				return err
			}
			res.Rule, res.Created = m, true
		default:
			return err
		}
		if !b.Past {
			return nil
		}
		seqs, err := v.matchAll(ctx, tx, eventID, v.posters(Compile([]models.ModerationRule{res.Rule}, false), eventID))
		if err != nil {
			return err
		}
		plan, err = v.apply(ctx, tx, by, eventID, seqs, verbHide, "ban "+res.Rule.Kind+" "+res.Rule.Value)
		return err
	})
	if err != nil {
		var verr *models.ValidationError
		if errors.As(err, &verr) {
			return BanResult{}, verr
		}
		return BanResult{}, fmt.Errorf("moderation: ban %s %q in event %d: %w", m.Kind, m.Value, eventID, err)
	}
	v.RulesChanged(eventID)
	res.Hidden = v.tell(ctx, eventID, verbHide, plan)
	return res, nil
}

func sameEnd(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// ApplyRules hides the event's items that the rules ruleIDs match, stored
// and not strained yet alike, auditing each, in one transaction; then tells
// the live log.
func (v *Verbs) ApplyRules(ctx context.Context, by store.Actor, eventID int64, ruleIDs []int64) (Result, error) {
	var plan []planned
	err := v.st.Tx(ctx, func(tx *store.Store) error {
		rows, err := tx.RulesByID(ctx, eventID, ruleIDs)
		if err != nil {
			return err
		}
		seqs, err := v.matchAll(ctx, tx, eventID, v.posters(Compile(rows, false), eventID))
		if err != nil {
			return err
		}
		plan, err = v.apply(ctx, tx, by, eventID, seqs, verbHide, "apply bans")
		return err
	})
	if err != nil {
		return Result{}, fmt.Errorf("moderation: apply rules %v to event %d: %w", ruleIDs, eventID, err)
	}
	return v.tell(ctx, eventID, verbHide, plan), nil
}

// matchAll returns the seqs of the event's items, not hidden yet, that r
// blocks: the stored ones (MatchPast) and those only the live log holds,
// decided by the same matcher.
func (v *Verbs) matchAll(ctx context.Context, tx *store.Store, eventID int64, r Rules) ([]int64, error) {
	if r.Empty() {
		return nil, nil
	}
	out, err := MatchPast(ctx, tx, eventID, r)
	if err != nil {
		return nil, err
	}
	tail, err := v.logItems(ctx, eventID, 0, nil)
	if err != nil {
		return nil, err
	}
	seqs := make([]int64, 0, len(tail))
	for seq := range tail {
		seqs = append(seqs, seq)
	}
	stored, err := tx.StoredSeqs(ctx, eventID, seqs) // MatchPast decided those
	if err != nil {
		return nil, err
	}
	for seq, it := range tail {
		if !stored[seq] && !it.Hidden && r.BlocksItem(it) {
			out = append(out, seq)
		}
	}
	return sortedUnique(out), nil
}
