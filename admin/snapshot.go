package admin

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// snapshotRow returns a row as a map for the audit log, without secrets.
func snapshotRow(ctx context.Context, tx *gorm.DB, table, idColumn string, id int64, extra string, args ...any) (map[string]any, error) {
	row := map[string]any{}
	q := tx.WithContext(ctx).Table(table).Where(idColumn+" = ?", id)
	if extra != "" {
		q = q.Where(extra, args...)
	}
	if err := q.Take(&row).Error; err != nil {
		return nil, fmt.Errorf("admin: snapshot %s %d: %w", table, id, err)
	}
	delete(row, "password_hash")
	delete(row, "search")
	for k, v := range row {
		if b, ok := v.([]byte); ok {
			row[k] = string(b)
		}
	}
	return row, nil
}

// localInput is the value of a datetime-local input for t in loc.
func localInput(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2006-01-02T15:04")
}

// parseLocal reads a datetime-local value (or RFC 3339) in loc.
func parseLocal(s string, loc *time.Location) (time.Time, bool) {
	if s == "" {
		return time.Time{}, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}
