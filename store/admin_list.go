package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// The admin's generic list page (admin/crud) runs these. A resource
// declares its columns, filters and search as SQL expressions over its
// table aliased t; request values only ever reach the query as parameters,
// and sort keys pass the resource's allowlist first.

// AdminList selects the rows of Table (aliased t) that every Where matches.
type AdminList struct {
	Table string
	Key   string // the key column: "id", or "user_id" for roles
	Where []Cond
}

func (q AdminList) scoped(ctx context.Context, db *gorm.DB) (*gorm.DB, error) {
	if !isIdent(q.Table) || !isIdent(q.Key) {
		return nil, fmt.Errorf("store: admin list: bad table or key %q.%q", q.Table, q.Key)
	}
	tx := db.WithContext(ctx).Table(q.Table + " AS t")
	for _, w := range q.Where {
		tx = tx.Where(w.SQL, w.Args...)
	}
	return tx, nil
}

// AdminCount counts the rows q selects.
func (s *Store) AdminCount(ctx context.Context, q AdminList) (int64, error) {
	tx, err := q.scoped(ctx, s.db)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := tx.Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count %s: %w", q.Table, err)
	}
	return n, nil
}

// AdminRow is one row of a list: its key and each column's text.
type AdminRow struct {
	Key   int64
	Cells []string
}

// AdminRows returns one page of q's rows in order, each column expression
// read as text ("" for NULL).
func (s *Store) AdminRows(ctx context.Context, q AdminList, columns []string, order string, limit, offset int) ([]AdminRow, error) {
	tx, err := q.scoped(ctx, s.db)
	if err != nil {
		return nil, err
	}
	sel := make([]string, 0, len(columns)+1)
	sel = append(sel, "t."+q.Key)
	for _, col := range columns {
		sel = append(sel, "("+col+")::text")
	}
	rows, err := tx.Select(strings.Join(sel, ", ")).Order(order).Limit(limit).Offset(offset).Rows()
	if err != nil {
		return nil, fmt.Errorf("store: list %s: %w", q.Table, err)
	}
	defer rows.Close()
	var out []AdminRow
	for rows.Next() {
		var key int64
		cells := make([]sql.NullString, len(columns))
		dest := []any{&key}
		for i := range cells {
			dest = append(dest, &cells[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("store: list %s: %w", q.Table, err)
		}
		row := AdminRow{Key: key, Cells: make([]string, len(cells))}
		for i, c := range cells {
			row.Cells[i] = c.String
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list %s: %w", q.Table, err)
	}
	return out, nil
}

// AdminKeys returns the keys of up to limit rows q selects, in key order;
// with only set, just those among only.
func (s *Store) AdminKeys(ctx context.Context, q AdminList, only []int64, limit int) ([]int64, error) {
	tx, err := q.scoped(ctx, s.db)
	if err != nil {
		return nil, err
	}
	if only != nil {
		if len(only) == 0 {
			return nil, nil
		}
		tx = tx.Where("t."+q.Key+" IN ?", only)
	}
	var out []int64
	if err := tx.Order("t."+q.Key).Limit(limit).Pluck("t."+q.Key, &out).Error; err != nil {
		return nil, fmt.Errorf("store: keys of %s: %w", q.Table, err)
	}
	return out, nil
}

// AdminTitles returns the title expression of the rows among ids, in key order.
func (s *Store) AdminTitles(ctx context.Context, q AdminList, title string, ids []int64) ([]string, error) {
	tx, err := q.scoped(ctx, s.db)
	if err != nil {
		return nil, err
	}
	var out []string
	if err := tx.Where("t."+q.Key+" IN ?", ids).Order("t."+q.Key).Pluck("("+title+")::text", &out).Error; err != nil {
		return nil, fmt.Errorf("store: titles of %s: %w", q.Table, err)
	}
	return out, nil
}

// AdminCountQuery is one count of what a deletion takes with it: SQL
// counts the rows for the ids bound to its one "?".
type AdminCountQuery struct {
	Label string
	SQL   string
}

// AdminCounted is one non-zero count.
type AdminCounted struct {
	Label string
	Count int64
}

// AdminCounts runs each count for ids and returns the non-zero ones.
func (s *Store) AdminCounts(ctx context.Context, qs []AdminCountQuery, ids []int64) ([]AdminCounted, error) {
	var out []AdminCounted
	for _, q := range qs {
		var n int64
		if err := s.db.WithContext(ctx).Raw(q.SQL, ids).Scan(&n).Error; err != nil {
			return nil, fmt.Errorf("store: count %s: %w", q.Label, err)
		}
		if n > 0 {
			out = append(out, AdminCounted{Label: q.Label, Count: n})
		}
	}
	return out, nil
}
