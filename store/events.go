package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
)

// EventBySlug returns the event called slug with its rooms in their order
// and its sessions in time order (each with its Room), straight from
// Postgres. Handlers use the cached lookup (Events) instead.
func (s *Store) EventBySlug(ctx context.Context, slug string) (*models.Event, error) {
	var ev models.Event
	err := s.db.WithContext(ctx).
		Preload("Rooms", func(tx *gorm.DB) *gorm.DB { return tx.Order("position, slug") }).
		Preload("Sessions", func(tx *gorm.DB) *gorm.DB {
			return tx.Order("starts_at, (SELECT r.position FROM rooms r WHERE r.id = sessions.room_id) NULLS LAST, slug")
		}).
		Where("slug = ?", slug).Take(&ev).Error
	if err != nil {
		return nil, fmt.Errorf("store: event %q: %w", slug, wrap(notFound(err, "event", slug)))
	}
	LinkRooms(ev.Rooms, ev.Sessions)
	return &ev, nil
}

// LinkRooms points each session's Room at its room among rooms.
func LinkRooms(rooms []models.Room, sessions []models.Session) {
	byID := make(map[int64]*models.Room, len(rooms))
	for i := range rooms {
		byID[rooms[i].ID] = &rooms[i]
	}
	for i := range sessions {
		sessions[i].Room = nil
		if id := sessions[i].RoomID; id != nil {
			sessions[i].Room = byID[*id]
		}
	}
}

// EventSchedule returns an event's rooms (in order) and sessions (each with
// its Room): what session assignment reads.
func (s *Store) EventSchedule(ctx context.Context, eventID int64) ([]models.Room, []models.Session, error) {
	var rooms []models.Room
	if err := s.db.WithContext(ctx).Where("event_id = ?", eventID).Order("position, slug").Find(&rooms).Error; err != nil {
		return nil, nil, fmt.Errorf("store: rooms of event %d: %w", eventID, wrap(err))
	}
	var sessions []models.Session
	if err := s.db.WithContext(ctx).Where("event_id = ?", eventID).Order("starts_at, id").Find(&sessions).Error; err != nil {
		return nil, nil, fmt.Errorf("store: sessions of event %d: %w", eventID, wrap(err))
	}
	LinkRooms(rooms, sessions)
	return rooms, sessions, nil
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
