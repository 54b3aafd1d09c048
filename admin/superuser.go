package admin

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/backchannel/backchannel/models"
)

// MinPasswordLength is the shortest password an account may have.
const MinPasswordLength = 10

// validateEmail returns the normalised address or a message for the user.
func validateEmail(email string) (string, string) {
	email = strings.TrimSpace(email)
	if email == "" {
		return "", "Enter an email address."
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email, "@") {
		return "", "Enter a valid email address, like ana@example.org."
	}
	return email, ""
}

// validatePassword returns a message when pw is not acceptable.
func validatePassword(pw string) string {
	if utf8.RuneCountInString(pw) < MinPasswordLength {
		return fmt.Sprintf("Use at least %d characters.", MinPasswordLength)
	}
	if len(pw) > 1024 {
		return "Use at most 1024 bytes."
	}
	return ""
}

// CreateSuperuser creates a superuser, or, when an account with that email
// (compared case-insensitively) exists, sets its password and makes it an
// active superuser. The change is written to the audit log with actor "cli".
func CreateSuperuser(ctx context.Context, db *gorm.DB, email, password string) error {
	email, msg := validateEmail(email)
	verr := &models.ValidationError{}
	if msg != "" {
		verr.Add("email", "%s", msg)
	}
	if msg := validatePassword(password); msg != "" {
		verr.Add("password", "%s", msg)
	}
	if err := verr.Err(); err != nil {
		return fmt.Errorf("admin: create superuser: %w", err)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var u models.User
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("lower(email) = lower(?)", email).Take(&u).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			u = models.User{Email: email, PasswordHash: hash, IsSuperuser: true, IsActive: true}
			if err := tx.Create(&u).Error; err != nil {
				return err
			}
			return writeAudit(tx, Actor{Name: "cli"}, "create", "user", u.ID, nil, nil, userSnapshot(&u), "createsuperuser")
		case err != nil:
			return err
		}
		before := userSnapshot(&u)
		if err := tx.Model(&u).Updates(map[string]any{"password_hash": hash, "is_superuser": true, "is_active": true}).Error; err != nil {
			return err
		}
		u.IsSuperuser, u.IsActive = true, true
		return writeAudit(tx, Actor{Name: "cli"}, "update", "user", u.ID, nil, before, userSnapshot(&u), "createsuperuser: password set")
	})
	if err != nil {
		return fmt.Errorf("admin: create superuser: %w", err)
	}
	return nil
}

// userSnapshot is what the audit log keeps of a user (never the hash).
func userSnapshot(u *models.User) map[string]any {
	return map[string]any{"id": u.ID, "email": u.Email, "is_superuser": u.IsSuperuser, "is_active": u.IsActive}
}
