package auth

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// MinPasswordLength is the shortest password an account may have (OWASP
// ASVS 4.0, 2.1.1); MaxPasswordBytes the longest, far above what anyone
// types (2.1.2) and short enough to bound argon2id's input.
const (
	MinPasswordLength = 12
	MaxPasswordBytes  = 1024
)

// ValidateEmail returns the normalised address or a message for the user.
func ValidateEmail(email string) (string, string) {
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

// ValidatePassword returns a message when pw is not acceptable: shorter
// than MinPasswordLength, longer than MaxPasswordBytes, or on the list of
// common and breached passwords shipped with the binary (commonpw.go). Any
// character is allowed and none is required (ASVS 2.1.4, 2.1.9).
func ValidatePassword(pw string) string {
	if utf8.RuneCountInString(pw) < MinPasswordLength {
		return fmt.Sprintf("Use at least %d characters.", MinPasswordLength)
	}
	if len(pw) > MaxPasswordBytes {
		return fmt.Sprintf("Use at most %d bytes.", MaxPasswordBytes)
	}
	if IsCommonPassword(pw) {
		return "This password is on a list of common and breached passwords; choose another."
	}
	return ""
}

// CreateSuperuser creates a superuser, or, when an account with that email
// (compared case-insensitively) exists, sets its password and makes it an
// active superuser. The change is written to the audit log with actor "cli".
func CreateSuperuser(ctx context.Context, db *gorm.DB, email, password string) error {
	email, msg := ValidateEmail(email)
	verr := &models.ValidationError{}
	if msg != "" {
		verr.Add("email", "%s", msg)
	}
	if msg := ValidatePassword(password); msg != "" {
		verr.Add("password", "%s", msg)
	}
	if err := verr.Err(); err != nil {
		return fmt.Errorf("auth: create superuser: %w", err)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	cli := store.Actor{Name: "cli"}
	err = store.New(db).Tx(ctx, func(tx *store.Store) error {
		u, err := tx.LockUserByEmail(ctx, email)
		switch {
		case errors.Is(err, models.ErrNotFound):
			u = &models.User{Email: email, PasswordHash: hash, IsSuperuser: true, IsActive: true}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			after, err := tx.Snapshot(ctx, "users", u.ID, "")
			if err != nil {
				return err
			}
			return tx.Audit(ctx, store.Change{Actor: cli, Action: "create", ObjectType: "user", ObjectID: store.ID(u.ID),
				After: after, Message: "createsuperuser"})
		case err != nil:
			return err
		}
		before, err := tx.Snapshot(ctx, "users", u.ID, "")
		if err != nil {
			return err
		}
		if err := tx.MakeSuperuser(ctx, u.ID, hash); err != nil {
			return err
		}
		after, err := tx.Snapshot(ctx, "users", u.ID, "")
		if err != nil {
			return err
		}
		return tx.Audit(ctx, store.Change{Actor: cli, Action: "update", ObjectType: "user", ObjectID: store.ID(u.ID),
			Before: before, After: after, Message: "createsuperuser: password set"})
	})
	if err != nil {
		return fmt.Errorf("auth: create superuser: %w", err)
	}
	return nil
}
