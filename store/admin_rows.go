package store

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Row writes of the admin's generic form and of event files: a declaration
// names the table, its key column and the columns to write; the values are
// always query parameters. Table and column names come from declarations in
// code, never from a request, and are checked to be plain identifiers.

// Cond is one SQL condition with its parameters, e.g. {"t.event_id = ?", 7}.
type Cond struct {
	SQL  string
	Args []any
}

// Where returns a Cond.
func Where(sql string, args ...any) Cond { return Cond{SQL: sql, Args: args} }

var ident = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func isIdent(s string) bool { return ident.MatchString(s) }

// columnsOf returns cols' names in a stable order, checked as identifiers.
func columnsOf(cols map[string]any) ([]string, error) {
	names := make([]string, 0, len(cols))
	for k := range cols {
		if !isIdent(k) {
			return nil, fmt.Errorf("store: bad column name %q", k)
		}
		names = append(names, k)
	}
	slices.Sort(names)
	return names, nil
}

// InsertRow inserts one row of table with cols and returns its keyColumn.
func (s *Store) InsertRow(ctx context.Context, table, keyColumn string, cols map[string]any) (int64, error) {
	if !isIdent(table) || !isIdent(keyColumn) {
		return 0, fmt.Errorf("store: insert: bad table or key %q.%q", table, keyColumn)
	}
	names, err := columnsOf(cols)
	if err != nil {
		return 0, err
	}
	args := make([]any, len(names))
	marks := make([]string, len(names))
	for i, n := range names {
		args[i], marks[i] = cols[n], "?"
	}
	var id int64
	q := "INSERT INTO " + table + " (" + strings.Join(names, ", ") + ") VALUES (" + strings.Join(marks, ", ") + ") RETURNING " + keyColumn
	if err := s.db.WithContext(ctx).Raw(q, args...).Scan(&id).Error; err != nil {
		return 0, fmt.Errorf("store: insert into %s: %w", table, err)
	}
	return id, nil
}

// UpdateRow sets cols on the row of table whose keyColumn is id and that
// scope (optional) also selects. A row that is not there is models.NotFound.
func (s *Store) UpdateRow(ctx context.Context, table, keyColumn string, id int64, scope Cond, cols map[string]any) error {
	if !isIdent(table) || !isIdent(keyColumn) {
		return fmt.Errorf("store: update: bad table or key %q.%q", table, keyColumn)
	}
	names, err := columnsOf(cols)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return nil
	}
	sets := make([]string, len(names))
	args := make([]any, 0, len(names)+1+len(scope.Args))
	for i, n := range names {
		sets[i] = n + " = ?"
		args = append(args, cols[n])
	}
	q := "UPDATE " + table + " SET " + strings.Join(sets, ", ") + " WHERE " + keyColumn + " = ?"
	args = append(args, id)
	if scope.SQL != "" {
		q += " AND (" + scope.SQL + ")"
		args = append(args, scope.Args...)
	}
	res := s.db.WithContext(ctx).Exec(q, args...)
	if res.Error != nil {
		return fmt.Errorf("store: update %s %d: %w", table, id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: update %s %d: %w", table, id, notFoundRow(table, id))
	}
	return nil
}

// DeleteRow deletes the row of table whose keyColumn is id and that scope
// (optional) also selects. A row that is not there is models.NotFound.
func (s *Store) DeleteRow(ctx context.Context, table, keyColumn string, id int64, scope Cond) error {
	if !isIdent(table) || !isIdent(keyColumn) {
		return fmt.Errorf("store: delete: bad table or key %q.%q", table, keyColumn)
	}
	q := "DELETE FROM " + table + " WHERE " + keyColumn + " = ?"
	args := []any{id}
	if scope.SQL != "" {
		q += " AND (" + scope.SQL + ")"
		args = append(args, scope.Args...)
	}
	res := s.db.WithContext(ctx).Exec(q, args...)
	if res.Error != nil {
		return fmt.Errorf("store: delete %s %d: %w", table, id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: delete %s %d: %w", table, id, notFoundRow(table, id))
	}
	return nil
}

// RowExists reports whether table has a row matching where.
func (s *Store) RowExists(ctx context.Context, table string, where Cond) (bool, error) {
	if !isIdent(table) {
		return false, fmt.Errorf("store: exists: bad table %q", table)
	}
	var ok bool
	if err := s.db.WithContext(ctx).Raw("SELECT EXISTS (SELECT 1 FROM "+table+" WHERE "+where.SQL+")", where.Args...).Scan(&ok).Error; err != nil {
		return false, fmt.Errorf("store: exists in %s: %w", table, err)
	}
	return ok, nil
}
