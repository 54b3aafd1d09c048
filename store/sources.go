package store

import (
	"context"
	"fmt"
	"time"

	"github.com/backchannel/backchannel/models"
)

// The queries the source runners make (the admin's are in
// admin_sources.go, the sealed tokens' in source_tokens.go).

// SourceKinds selects sources by kind: In the kinds listed, or (Not) every
// kind but those.
type SourceKinds struct {
	Kinds []string
	Not   bool
}

// EnabledSources lists the enabled sources of the kinds selected, lowest
// id first.
func (s *Store) EnabledSources(ctx context.Context, k SourceKinds) ([]models.Source, error) {
	cond := "enabled AND kind IN ?"
	if k.Not {
		cond = "enabled AND kind NOT IN ?"
	}
	var list []models.Source
	if err := s.db.WithContext(ctx).Where(cond, k.Kinds).Order("id").Find(&list).Error; err != nil {
		return nil, fmt.Errorf("store: enabled sources: %w", err)
	}
	return list, nil
}

// EnabledSource returns source id when it is enabled and of one of kinds,
// or models.NotFound.
func (s *Store) EnabledSource(ctx context.Context, id int64, kinds []string) (*models.Source, error) {
	var src models.Source
	if err := s.db.WithContext(ctx).Where("id = ? AND enabled AND kind IN ?", id, kinds).Take(&src).Error; err != nil {
		return nil, fmt.Errorf("store: enabled source %d: %w", id, notFound(err, "source", id))
	}
	return &src, nil
}

// Source returns source id, enabled or not, or models.NotFound.
func (s *Store) Source(ctx context.Context, id int64) (*models.Source, error) {
	var src models.Source
	if err := s.db.WithContext(ctx).Take(&src, id).Error; err != nil {
		return nil, fmt.Errorf("store: source %d: %w", id, notFound(err, "source", id))
	}
	return &src, nil
}

// EventStart is the starts_at of event id.
func (s *Store) EventStart(ctx context.Context, id int64) (time.Time, error) {
	var ev models.Event
	if err := s.db.WithContext(ctx).Select("starts_at").Where("id = ?", id).Take(&ev).Error; err != nil {
		return time.Time{}, fmt.Errorf("store: starts_at of event %d: %w", id, notFound(err, "event", id))
	}
	return ev.StartsAt, nil
}
