package store

import (
	"context"
	"fmt"

	"github.com/backchannel/backchannel/models"
)

// RolesOf returns the events an account has a role on: event id → role.
func (s *Store) RolesOf(ctx context.Context, userID int64) (map[int64]string, error) {
	var rows []models.EventRole
	if err := s.db.WithContext(ctx).Where("user_id = ?", userID).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: roles of user %d: %w", userID, err)
	}
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.EventID] = r.Role
	}
	return out, nil
}

// RoleWithEmail is one account's role on an event, with the account's email.
type RoleWithEmail struct {
	UserID int64
	Email  string
	Role   string
}

// RoleOf returns an account's role on an event, or models.NotFound.
func (s *Store) RoleOf(ctx context.Context, eventID, userID int64) (*RoleWithEmail, error) {
	var r RoleWithEmail
	err := s.db.WithContext(ctx).Raw(`SELECT r.user_id, u.email, r.role FROM event_roles r JOIN users u ON u.id = r.user_id
		WHERE r.user_id = ? AND r.event_id = ?`, userID, eventID).Scan(&r).Error
	if err != nil {
		return nil, fmt.Errorf("store: role of user %d in event %d: %w", userID, eventID, err)
	}
	if r.Role == "" {
		return nil, models.NotFound("role of account", userID)
	}
	return &r, nil
}
