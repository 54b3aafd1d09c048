package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/backchannel/backchannel/models"
)

// The admin's security data: second factors, recovery codes, site settings
// and the security log (migration 00003).

// SetTOTP stores an account's sealed second-factor secret and when it was
// turned on; a nil secret turns it off.
func (s *Store) SetTOTP(ctx context.Context, userID int64, sealed []byte, at *time.Time) error {
	err := s.db.WithContext(ctx).Model(&models.User{}).Where("id = ?", userID).
		Updates(map[string]any{"totp_secret": sealed, "totp_enabled_at": at, "updated_at": time.Now()}).Error
	if err != nil {
		return fmt.Errorf("store: set second factor of user %d: %w", userID, err)
	}
	return nil
}

// SetEmail changes an account's email.
func (s *Store) SetEmail(ctx context.Context, userID int64, email string) error {
	err := s.db.WithContext(ctx).Model(&models.User{}).Where("id = ?", userID).
		Updates(map[string]any{"email": email, "updated_at": time.Now()}).Error
	if err != nil {
		return fmt.Errorf("store: set email of user %d: %w", userID, err)
	}
	return nil
}

// ReplaceRecoveryCodes drops an account's recovery codes and stores the
// hashes of a new set.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID int64, hashes []string) error {
	db := s.db.WithContext(ctx)
	if err := db.Exec("DELETE FROM recovery_codes WHERE user_id = ?", userID).Error; err != nil {
		return fmt.Errorf("store: drop recovery codes of user %d: %w", userID, err)
	}
	for _, h := range hashes {
		if err := db.Exec("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)", userID, h).Error; err != nil {
			return fmt.Errorf("store: store recovery code of user %d: %w", userID, err)
		}
	}
	return nil
}

// UseRecoveryCode marks the unused code with hash as used and reports
// whether there was one: of two requests racing with the same code, one wins.
func (s *Store) UseRecoveryCode(ctx context.Context, userID int64, hash string) (bool, error) {
	res := s.db.WithContext(ctx).Exec("UPDATE recovery_codes SET used_at = now() WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
		userID, hash)
	if res.Error != nil {
		return false, fmt.Errorf("store: use recovery code of user %d: %w", userID, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// RecoveryCodesLeft counts an account's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID int64) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Raw("SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL", userID).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count recovery codes of user %d: %w", userID, err)
	}
	return n, nil
}

// Setting returns the site setting key, or def when it was never set.
func (s *Store) Setting(ctx context.Context, key, def string) (string, error) {
	var v string
	err := s.db.WithContext(ctx).Raw("SELECT value FROM admin_settings WHERE key = ?", key).Row().Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return def, nil
	}
	if err != nil {
		return def, fmt.Errorf("store: setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting writes the site setting key.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	err := s.db.WithContext(ctx).Exec(`INSERT INTO admin_settings (key, value, updated_at) VALUES (?, ?, now())
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`, key, value).Error
	if err != nil {
		return fmt.Errorf("store: set setting %s: %w", key, err)
	}
	return nil
}

// securityLogDays is how long the security log keeps its lines.
const securityLogDays = 180

// LogSecurity appends one line to the security log. One write in 500 also
// drops lines older than securityLogDays, so the log stays bounded without
// a job of its own.
func (s *Store) LogSecurity(ctx context.Context, e models.SecurityEvent) error {
	e.Email, e.UserAgent, e.Detail, e.IP = capText(e.Email, 254), capText(e.UserAgent, 300), capText(e.Detail, 500), capText(e.IP, 64)
	if e.At.IsZero() {
		e.At = time.Now()
	}
	db := s.db.WithContext(ctx)
	if err := db.Create(&e).Error; err != nil {
		return fmt.Errorf("store: security log %s: %w", e.Kind, err)
	}
	if e.ID%500 == 0 {
		if err := db.Exec("DELETE FROM security_log WHERE at < now() - make_interval(days => ?)", securityLogDays).Error; err != nil {
			return fmt.Errorf("store: prune security log: %w", err)
		}
	}
	return nil
}

// SecurityLogFilter narrows SecurityLog.
type SecurityLogFilter struct {
	UserID int64  // 0: every account
	Kind   string // "": every kind
	Before int64  // keyset: lines with a smaller id; 0: from the newest
	Limit  int
}

// SecurityLog returns lines of the security log, newest first.
func (s *Store) SecurityLog(ctx context.Context, f SecurityLogFilter) ([]models.SecurityEvent, error) {
	q := s.db.WithContext(ctx).Model(&models.SecurityEvent{})
	if f.UserID != 0 {
		q = q.Where("user_id = ?", f.UserID)
	}
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if f.Before > 0 {
		q = q.Where("id < ?", f.Before)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var out []models.SecurityEvent
	if err := q.Order("id DESC").Limit(f.Limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: read security log: %w", err)
	}
	return out, nil
}

// capText cuts s to at most n bytes on a rune boundary.
func capText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// UsersWithoutTOTP counts the active accounts without a second factor.
func (s *Store) UsersWithoutTOTP(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.WithContext(ctx).Raw("SELECT count(*) FROM users WHERE is_active AND totp_enabled_at IS NULL").Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count accounts without a second factor: %w", err)
	}
	return n, nil
}
