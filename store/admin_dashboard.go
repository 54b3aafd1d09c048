package store

import (
	"context"
	"fmt"
	"time"
)

// Counts the admin's dashboard shows.

// AdminActivityRow is how many items one source of one event received in
// one minute.
type AdminActivityRow struct {
	Event  string // slug
	Source string // the source's key, or the item's source name
	Minute time.Time
	N      int64
}

// AdminActivity counts items per event, source and minute since since.
func (s *Store) AdminActivity(ctx context.Context, since time.Time) ([]AdminActivityRow, error) {
	var rows []AdminActivityRow
	err := s.db.WithContext(ctx).Raw(`SELECT e.slug AS event,
			coalesce(s.key, i.source) AS source,
			date_trunc('minute', i.received_at) AS minute, count(*) AS n
		FROM items i JOIN events e ON e.id = i.event_id LEFT JOIN sources s ON s.id = i.source_id
		WHERE i.received_at >= ? GROUP BY 1, 2, 3`, since).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: activity: %w", err)
	}
	return rows, nil
}

// AdminEventSlug is an event's id and slug.
type AdminEventSlug struct {
	ID   int64
	Slug string
}

// AdminLatestEvents returns the limit events that start last.
func (s *Store) AdminLatestEvents(ctx context.Context, limit int) ([]AdminEventSlug, error) {
	var out []AdminEventSlug
	if err := s.db.WithContext(ctx).Raw(`SELECT id, slug FROM events ORDER BY starts_at DESC LIMIT ?`, limit).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("store: latest events: %w", err)
	}
	return out, nil
}
