package store

import (
	"context"
	"fmt"
	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
)

// Queries only the admin runs about events.

// AdminEvent returns the event with id, or models.NotFound.
func (s *Store) AdminEvent(ctx context.Context, id int64) (*models.Event, error) {
	var ev models.Event
	err := s.db.WithContext(ctx).Preload("Rooms", func(tx *gorm.DB) *gorm.DB { return tx.Order("position, slug") }).
		Where("id = ?", id).Take(&ev).Error
	if err != nil {
		return nil, fmt.Errorf("store: event %d: %w", id, notFound(err, "event", id))
	}
	return &ev, nil
}

// AdminEventCard is one event on the admin's home page.
type AdminEventCard struct {
	models.Event
	Pending int64 // items held for review
}

// AdminHomeEvents returns the newest limit events with their held items,
// all of them when ids is nil, else those among ids.
func (s *Store) AdminHomeEvents(ctx context.Context, ids []int64, limit int) ([]AdminEventCard, error) {
	q := s.db.WithContext(ctx).Order("starts_at DESC").Limit(limit)
	if ids != nil {
		q = q.Where("id IN ?", append(ids, 0))
	}
	var evs []models.Event
	if err := q.Find(&evs).Error; err != nil {
		return nil, fmt.Errorf("store: admin home events: %w", err)
	}
	var pending []struct {
		EventID int64
		N       int64
	}
	if err := s.db.WithContext(ctx).Raw(
		`SELECT event_id, count(*) AS n FROM items WHERE review = 'pending' GROUP BY event_id`).Scan(&pending).Error; err != nil {
		return nil, fmt.Errorf("store: held items per event: %w", err)
	}
	counts := make(map[int64]int64, len(pending))
	for _, r := range pending {
		counts[r.EventID] = r.N
	}
	out := make([]AdminEventCard, len(evs))
	for i, ev := range evs {
		out[i] = AdminEventCard{Event: ev, Pending: counts[ev.ID]}
	}
	return out, nil
}
