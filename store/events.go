package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
)

// EventBySlug returns the event called slug with its sessions in time order,
// straight from Postgres. Handlers use the cached lookup (Events) instead.
func (s *Store) EventBySlug(ctx context.Context, slug string) (*models.Event, error) {
	var ev models.Event
	err := s.db.WithContext(ctx).
		Preload("Sessions", func(tx *gorm.DB) *gorm.DB { return tx.Order("starts_at, room, slug") }).
		Where("slug = ?", slug).Take(&ev).Error
	if err != nil {
		return nil, fmt.Errorf("store: event %q: %w", slug, wrap(notFound(err, "event", slug)))
	}
	return &ev, nil
}

// ListEvents returns every event, newest first (the home page, the events API).
func (s *Store) ListEvents(ctx context.Context) ([]models.Event, error) {
	var evs []models.Event
	if err := s.db.WithContext(ctx).Order("starts_at DESC, id DESC").Find(&evs).Error; err != nil {
		return nil, fmt.Errorf("store: list events: %w", wrap(err))
	}
	return evs, nil
}

// EventsEndedBefore returns the ids of the events that ended before t, in id
// order (compaction of finished events' live logs).
func (s *Store) EventsEndedBefore(ctx context.Context, t time.Time) ([]int64, error) {
	var ids []int64
	if err := s.db.WithContext(ctx).Raw(`SELECT id FROM events WHERE ends_at < ? ORDER BY id`, t).Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("store: events ended before %s: %w", t.Format(time.RFC3339), wrap(err))
	}
	return ids, nil
}
