package store

import (
	"context"
	"fmt"

	"github.com/backchannel/backchannel/models"
)

// EventRules returns an event's moderation rules (oldest first) and whether
// the event holds every source item for approval (moderation "before").
func (s *Store) EventRules(ctx context.Context, eventID int64) ([]models.ModerationRule, bool, error) {
	var ev models.Event
	if err := s.db.WithContext(ctx).Select("id", "moderation").Take(&ev, eventID).Error; err != nil {
		return nil, false, fmt.Errorf("store: rules of event %d: %w", eventID, notFound(err, "event", eventID))
	}
	var rows []models.ModerationRule
	if err := s.db.WithContext(ctx).Where("event_id = ?", eventID).Order("id").Find(&rows).Error; err != nil {
		return nil, false, fmt.Errorf("store: rules of event %d: %w", eventID, err)
	}
	return rows, ev.Moderation == models.ModerationBefore, nil
}

// RulesByID returns the rules among ids that belong to the event.
func (s *Store) RulesByID(ctx context.Context, eventID int64, ids []int64) ([]models.ModerationRule, error) {
	var rows []models.ModerationRule
	if err := s.db.WithContext(ctx).Where("event_id = ? AND id IN ?", eventID, ids).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: rules %v of event %d: %w", ids, eventID, err)
	}
	return rows, nil
}

// RuleByValue returns the event's rule of this kind and value (compared
// case-insensitively, as the unique index does), or models.NotFound.
func (s *Store) RuleByValue(ctx context.Context, eventID int64, kind, value string) (*models.ModerationRule, error) {
	var r models.ModerationRule
	err := s.db.WithContext(ctx).Where("event_id = ? AND kind = ? AND lower(value) = lower(?)", eventID, kind, value).Take(&r).Error
	if err != nil {
		return nil, fmt.Errorf("store: %s rule %q of event %d: %w", kind, value, eventID, notFound(err, kind+" ban", value))
	}
	return &r, nil
}

// CreateRule inserts a rule and sets its id and creation time.
func (s *Store) CreateRule(ctx context.Context, r *models.ModerationRule) error {
	if err := s.db.WithContext(ctx).Create(r).Error; err != nil {
		return fmt.Errorf("store: create %s rule %q: %w", r.Kind, r.Value, err)
	}
	return nil
}

// RuleTaken reports whether another rule of the event (not exceptID) bans
// the same kind and value.
func (s *Store) RuleTaken(ctx context.Context, eventID int64, kind, value string, exceptID int64) (bool, error) {
	return s.RowExists(ctx, "moderation_rules",
		Where("event_id = ? AND kind = ? AND lower(value) = lower(?) AND id <> ?", eventID, kind, value, exceptID))
}
