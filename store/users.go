package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"github.com/backchannel/backchannel/models"
)

// UserByEmail returns the account whose email matches, compared
// case-insensitively, or models.NotFound.
func (s *Store) UserByEmail(ctx context.Context, email string) (*models.User, error) {
	var u models.User
	if err := s.db.WithContext(ctx).Where("lower(email) = lower(?)", email).Take(&u).Error; err != nil {
		return nil, fmt.Errorf("store: user %q: %w", email, notFound(err, "account", email))
	}
	return &u, nil
}

// LockUserByEmail is UserByEmail holding the row for the rest of the
// transaction (two createsuperuser runs for one email take turns).
func (s *Store) LockUserByEmail(ctx context.Context, email string) (*models.User, error) {
	var u models.User
	err := s.db.WithContext(ctx).Clauses(clause.Locking{Strength: "UPDATE"}).Where("lower(email) = lower(?)", email).Take(&u).Error
	if err != nil {
		return nil, fmt.Errorf("store: lock user %q: %w", email, notFound(err, "account", email))
	}
	return &u, nil
}

// ActiveUser returns the active account with id, or models.NotFound (an
// account switched off reads as absent: it may do nothing).
func (s *Store) ActiveUser(ctx context.Context, id int64) (*models.User, error) {
	var u models.User
	if err := s.db.WithContext(ctx).Where("id = ? AND is_active", id).Take(&u).Error; err != nil {
		return nil, fmt.Errorf("store: active user %d: %w", id, notFound(err, "account", id))
	}
	return &u, nil
}

// CreateUser inserts u and sets its id.
func (s *Store) CreateUser(ctx context.Context, u *models.User) error {
	if err := s.db.WithContext(ctx).Create(u).Error; err != nil {
		return fmt.Errorf("store: create user %q: %w", u.Email, err)
	}
	return nil
}

// SetUserPassword replaces an account's password hash.
func (s *Store) SetUserPassword(ctx context.Context, id int64, hash string) error {
	err := s.db.WithContext(ctx).Model(&models.User{}).Where("id = ?", id).
		Updates(map[string]any{"password_hash": hash, "updated_at": time.Now()}).Error
	if err != nil {
		return fmt.Errorf("store: set password of user %d: %w", id, err)
	}
	return nil
}

// MakeSuperuser sets an account's password and makes it an active superuser.
func (s *Store) MakeSuperuser(ctx context.Context, id int64, hash string) error {
	err := s.db.WithContext(ctx).Model(&models.User{}).Where("id = ?", id).
		Updates(map[string]any{"password_hash": hash, "is_superuser": true, "is_active": true, "updated_at": time.Now()}).Error
	if err != nil {
		return fmt.Errorf("store: make user %d superuser: %w", id, err)
	}
	return nil
}

// RecordLogin remembers when an account last signed in.
func (s *Store) RecordLogin(ctx context.Context, id int64, at time.Time) error {
	if err := s.db.WithContext(ctx).Model(&models.User{}).Where("id = ?", id).Update("last_login_at", at).Error; err != nil {
		return fmt.Errorf("store: record login of user %d: %w", id, err)
	}
	return nil
}

// EmailTaken reports whether an account other than exceptID uses email
// (compared case-insensitively).
func (s *Store) EmailTaken(ctx context.Context, email string, exceptID int64) (bool, error) {
	return s.RowExists(ctx, "users", Where("lower(email) = lower(?) AND id <> ?", email, exceptID))
}
