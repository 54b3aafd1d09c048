package store

import (
	"context"
	"fmt"
	"time"

	"github.com/backchannel/backchannel/models"
)

// Queries only the admin runs about sources (the runners' are the sources
// package's own).

// AdminSource returns the source with id, or models.NotFound.
func (s *Store) AdminSource(ctx context.Context, id int64) (*models.Source, error) {
	var src models.Source
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&src).Error; err != nil {
		return nil, fmt.Errorf("store: source %d: %w", id, notFound(err, "source", id))
	}
	return &src, nil
}

// AdminSetSourcesEnabled starts (on) or stops the sources among ids of the
// event that need it, auditing each as enable or disable by who, in one
// transaction; workers pick the change up from the sources table. It
// returns how many changed.
func (s *Store) AdminSetSourcesEnabled(ctx context.Context, by Actor, eventID int64, ids []int64, on bool) (int, error) {
	action := "disable"
	if on {
		action = "enable"
	}
	var n int
	err := s.Tx(ctx, func(tx *Store) error {
		var srcs []models.Source
		if err := tx.db.WithContext(ctx).Where("event_id = ? AND id IN ? AND enabled <> ?", eventID, ids, on).
			Order("id").Find(&srcs).Error; err != nil {
			return err
		}
		for _, src := range srcs {
			if err := tx.db.WithContext(ctx).Model(&models.Source{}).Where("id = ?", src.ID).
				Updates(map[string]any{"enabled": on, "updated_at": time.Now()}).Error; err != nil {
				return err
			}
			if err := tx.Audit(ctx, Change{Actor: by, Action: action, ObjectType: "source", ObjectID: ID(src.ID), EventID: eventID,
				Before: map[string]any{"enabled": !on}, After: map[string]any{"enabled": on}, Message: src.Key}); err != nil {
				return err
			}
		}
		n = len(srcs)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: %s sources %v of event %d: %w", action, ids, eventID, err)
	}
	return n, nil
}

// AdminSourceRow is one source on the dashboard.
type AdminSourceRow struct {
	ID      int64
	EventID int64
	Event   string // the event's slug
	Kind    string
	Key     string
	Enabled bool
}

// AdminSourceRows returns up to limit sources, newest events first.
func (s *Store) AdminSourceRows(ctx context.Context, limit int) ([]AdminSourceRow, error) {
	var rows []AdminSourceRow
	err := s.db.WithContext(ctx).Raw(`SELECT s.id, s.event_id, e.slug AS event, s.kind, s.key, s.enabled
		FROM sources s JOIN events e ON e.id = s.event_id ORDER BY e.starts_at DESC, s.key LIMIT ?`, limit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: dashboard sources: %w", err)
	}
	return rows, nil
}
