package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/backchannel/backchannel/models"
)

// Actor is who made a change: a signed-in user (UserID set) or a named tool
// ("cli:event apply").
type Actor struct {
	UserID int64
	Name   string
}

// Change is one audited change. Before is nil for a creation, After for a
// deletion; both are snapshots (Snapshot) or small maps of what changed.
type Change struct {
	Actor      Actor
	Action     string // "create", "update", "delete", "hide", "approve", "sign-in", ...
	ObjectType string // "event", "session", "item", "moderation_rule", ...
	ObjectID   string
	EventID    int64 // 0 for none
	Before     any
	After      any
	Message    string
}

// ID formats a numeric object id for Change.ObjectID.
func ID(id int64) string { return strconv.FormatInt(id, 10) }

// Audit writes one row of the audit log. Call it with the transaction that
// makes the change (inside Tx), so the log never claims a change that did
// not happen nor misses one that did.
func (s *Store) Audit(ctx context.Context, c Change) error {
	e := models.AuditEntry{Actor: c.Actor.Name, Action: c.Action, ObjectType: c.ObjectType,
		ObjectID: c.ObjectID, Message: c.Message}
	if c.Actor.UserID != 0 {
		id := c.Actor.UserID
		e.UserID = &id
	}
	if c.EventID != 0 {
		id := c.EventID
		e.EventID = &id
	}
	var err error
	if e.Before, err = jsonOrNil(c.Before); err != nil {
		return err
	}
	if e.After, err = jsonOrNil(c.After); err != nil {
		return err
	}
	if err := s.db.WithContext(ctx).Create(&e).Error; err != nil {
		return fmt.Errorf("store: audit %s %s %s: %w", c.Action, c.ObjectType, c.ObjectID, err)
	}
	return nil
}

func jsonOrNil(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("store: audit snapshot: %w", err)
	}
	return b, nil
}

// secretColumns are never copied into the audit log.
var secretColumns = []string{"password_hash", "search", "secret", "token_ciphertext", "totp_secret"}

// Snapshot returns one row as the audit log keeps it: every column but
// secrets and generated ones, keyed by column name. where, when set,
// further restricts the row (e.g. "event_id = ?" to stay inside a scope).
// Every audit row's before and after has this one shape.
func (s *Store) Snapshot(ctx context.Context, table string, id int64, where string, args ...any) (map[string]any, error) {
	return s.SnapshotBy(ctx, table, "id", id, where, args...)
}

// SnapshotBy is Snapshot of a row whose key column is not "id" (a role is
// keyed by user_id within its event).
func (s *Store) SnapshotBy(ctx context.Context, table, keyColumn string, id int64, where string, args ...any) (map[string]any, error) {
	if !isIdent(table) || !isIdent(keyColumn) {
		return nil, fmt.Errorf("store: snapshot: bad table or column %q.%q", table, keyColumn)
	}
	row := map[string]any{}
	q := s.db.WithContext(ctx).Table(table).Where(keyColumn+" = ?", id)
	if where != "" {
		q = q.Where(where, args...)
	}
	if err := q.Take(&row).Error; err != nil {
		return nil, fmt.Errorf("store: snapshot %s %d: %w", table, id, notFound(err, table, id))
	}
	for _, c := range secretColumns {
		delete(row, c)
	}
	for k, v := range row {
		if b, ok := v.([]byte); ok {
			row[k] = string(b)
		}
	}
	return row, nil
}
