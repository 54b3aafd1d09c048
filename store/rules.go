package store

import (
	"context"
	"fmt"
	"time"

	"github.com/backchannel/backchannel/models"
)

// EventModeration is what an event's moderation reads: its rules (oldest
// first), its settings (moderation mode, sensitive media, blocklist and
// ingest filter columns of Event) and its sources' ingest filters.
type EventModeration struct {
	Rules   []models.ModerationRule
	Event   models.Event
	Sources map[int64]models.IngestFilter
}

// EventRules returns an event's rules, settings and sources' filters.
func (s *Store) EventRules(ctx context.Context, eventID int64) (EventModeration, error) {
	var m EventModeration
	err := s.db.WithContext(ctx).Select("id", "moderation", "sensitive_media", "blocklist",
		"filter_replies", "filter_reposts", "filter_bots", "filter_sensitive", "filter_languages").Take(&m.Event, eventID).Error
	if err != nil {
		return m, fmt.Errorf("store: rules of event %d: %w", eventID, notFound(err, "event", eventID))
	}
	if err := s.db.WithContext(ctx).Where("event_id = ?", eventID).Order("id").Find(&m.Rules).Error; err != nil {
		return m, fmt.Errorf("store: rules of event %d: %w", eventID, err)
	}
	var srcs []models.Source
	if err := s.db.WithContext(ctx).Select("id", "filter_replies", "filter_reposts", "filter_bots", "filter_sensitive", "filter_languages").
		Where("event_id = ?", eventID).Find(&srcs).Error; err != nil {
		return m, fmt.Errorf("store: source filters of event %d: %w", eventID, err)
	}
	m.Sources = make(map[int64]models.IngestFilter, len(srcs))
	for _, x := range srcs {
		m.Sources[x.ID] = x.IngestFilter
	}
	return m, nil
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

// SetRuleExpiry sets when a rule ends (nil: never).
func (s *Store) SetRuleExpiry(ctx context.Context, id int64, t *time.Time) error {
	if err := s.db.WithContext(ctx).Model(&models.ModerationRule{}).Where("id = ?", id).Update("expires_at", t).Error; err != nil {
		return fmt.Errorf("store: rule %d expiry: %w", id, err)
	}
	return nil
}
