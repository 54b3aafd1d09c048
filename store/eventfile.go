package store

import (
	"context"
	"fmt"

	"gorm.io/gorm/clause"

	"github.com/backchannel/backchannel/models"
)

// What an event file describes (package eventfile): one event by slug, its
// sessions and its sources. Writes go through InsertRow, UpdateRow and
// DeleteRow (admin_rows.go).

// LockEventBySlug returns the event with slug, its row locked for the rest
// of the transaction, or models.NotFound.
func (s *Store) LockEventBySlug(ctx context.Context, slug string) (*models.Event, error) {
	var ev models.Event
	err := s.db.WithContext(ctx).Clauses(clause.Locking{Strength: "UPDATE"}).Where("slug = ?", slug).Take(&ev).Error
	if err != nil {
		return nil, fmt.Errorf("store: lock event %q: %w", slug, notFound(err, "event", slug))
	}
	return &ev, nil
}

// CreateEventIfAbsent inserts ev unless an event with its slug exists (a
// concurrent insert waits on the unique slug); created reports which, and
// ev.ID is set when it did.
func (s *Store) CreateEventIfAbsent(ctx context.Context, ev *models.Event) (created bool, err error) {
	res := s.db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "slug"}}, DoNothing: true}).Create(ev)
	if res.Error != nil {
		return false, fmt.Errorf("store: create event %q: %w", ev.Slug, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// SessionsOfEvent returns an event's sessions in creation order.
func (s *Store) SessionsOfEvent(ctx context.Context, eventID int64) ([]models.Session, error) {
	var out []models.Session
	if err := s.db.WithContext(ctx).Where("event_id = ?", eventID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: sessions of event %d: %w", eventID, err)
	}
	return out, nil
}

// RoomsOfEvent returns an event's rooms in their order.
func (s *Store) RoomsOfEvent(ctx context.Context, eventID int64) ([]models.Room, error) {
	var out []models.Room
	if err := s.db.WithContext(ctx).Where("event_id = ?", eventID).Order("position, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: rooms of event %d: %w", eventID, err)
	}
	return out, nil
}

// SourcesOfEvent returns an event's sources in creation order.
func (s *Store) SourcesOfEvent(ctx context.Context, eventID int64) ([]models.Source, error) {
	var out []models.Source
	if err := s.db.WithContext(ctx).Where("event_id = ?", eventID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: sources of event %d: %w", eventID, err)
	}
	return out, nil
}
