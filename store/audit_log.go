package store

import (
	"context"
	"fmt"

	"github.com/backchannel/backchannel/models"
)

// Reads of the audit log (the writer is audit.go).

// AuditEntry returns one entry; with eventID set, only an entry about
// that event. A missing one is models.NotFound.
func (s *Store) AuditEntry(ctx context.Context, id, eventID int64) (*models.AuditEntry, error) {
	q := s.db.WithContext(ctx).Where("id = ?", id)
	if eventID != 0 {
		q = q.Where("event_id = ?", eventID)
	}
	var e models.AuditEntry
	if err := q.Take(&e).Error; err != nil {
		return nil, fmt.Errorf("store: audit entry %d: %w", id, notFound(err, "audit entry", id))
	}
	return &e, nil
}

// AuditHistory returns the newest limit entries about one object, newest
// first; with eventID set, only those recorded in that event.
func (s *Store) AuditHistory(ctx context.Context, objectType, objectID string, eventID int64, limit int) ([]models.AuditEntry, error) {
	q := s.db.WithContext(ctx).Where("object_type = ? AND object_id = ?", objectType, objectID)
	if eventID != 0 {
		q = q.Where("event_id = ?", eventID)
	}
	var out []models.AuditEntry
	if err := q.Order("created_at DESC, id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: history of %s %s: %w", objectType, objectID, err)
	}
	return out, nil
}
