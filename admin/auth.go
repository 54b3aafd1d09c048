package admin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
)

const badLogin = "That email and password do not match an active account."

// loginForm shows the sign-in form (or goes home when already signed in).
func (s *server) loginForm(c *fiber.Ctx) error {
	if p, _ := s.principal(c); p != nil {
		return redirect(c, safeNext(c.Query("next")))
	}
	return render(c, fiber.StatusOK, LoginPage(s.chrome(c, "Sign in"), "", c.Query("next"), ""))
}

// login counts the attempt against the throttle, then checks the password;
// on success it rotates the session id and the CSRF token, so nothing issued
// before sign-in stays valid.
func (s *server) login(c *fiber.Ctx) error {
	ctx := c.UserContext()
	email := strings.TrimSpace(c.FormValue("email"))
	pw := c.FormValue("password")
	next := c.FormValue("next")
	ip := c.IP()
	again := func(status int, msg string) error {
		return render(c, status, LoginPage(s.chrome(c, "Sign in"), email, next, msg))
	}
	wait, err := s.throttle.attempt(ctx, email, ip)
	if err != nil {
		return err
	}
	if wait > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return again(fiber.StatusTooManyRequests, "Too many failed sign-ins. Wait a few minutes and try again.")
	}
	u, err := s.authenticate(ctx, email, pw)
	if err != nil {
		return err
	}
	if u == nil { // the attempt stays counted
		s.log.Info("admin login failed", "email", email, "ip", ip)
		return again(fiber.StatusUnauthorized, badLogin)
	}
	if err := s.throttle.succeeded(ctx, email, ip); err != nil {
		return err
	}
	sess, err := s.store.Get(c)
	if err != nil {
		return err
	}
	if err := sess.Regenerate(); err != nil {
		return err
	}
	sess.Delete(csrfSessionKey)
	sess.Delete(sessionFlash)
	sess.Set(sessionUserID, u.ID)
	sess.Set(sessionPassword, passwordVersion(u.PasswordHash))
	if err := sess.Save(); err != nil {
		return err
	}
	if err := s.d.DB.WithContext(ctx).Model(u).Update("last_login_at", s.d.Now()).Error; err != nil {
		s.log.Warn("admin: record login time", "err", err)
	}
	s.log.Info("admin login", "user", u.ID, "ip", ip)
	return redirect(c, safeNext(next))
}

// authenticate returns the active user whose email and password match, or
// nil. An unknown email costs one hash, like a known one.
func (s *server) authenticate(ctx context.Context, email, pw string) (*models.User, error) {
	var u models.User
	err := s.d.DB.WithContext(ctx).Where("lower(email) = lower(?)", email).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || email == "" {
		_, _ = HashPassword(pw)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ok, err := CheckPassword(u.PasswordHash, pw)
	if err != nil {
		s.log.Warn("admin: unreadable password hash", "user", u.ID, "err", err)
		return nil, nil
	}
	if !ok || !u.IsActive {
		return nil, nil
	}
	return &u, nil
}

// logout destroys the session (Redis data and cookie).
func (s *server) logout(c *fiber.Ctx) error {
	sess, err := s.store.Get(c)
	if err != nil {
		return err
	}
	if err := sess.Destroy(); err != nil {
		return err
	}
	return redirect(c, "/admin/login")
}

func (s *server) passwordForm(c *fiber.Ctx) error {
	return render(c, fiber.StatusOK, PasswordPage(s.chrome(c, "Change password"), nil))
}

// changePassword needs the current password; the change is audited.
func (s *server) changePassword(c *fiber.Ctx) error {
	p := mustPrincipal(c)
	errs := map[string]string{}
	if ok, _ := CheckPassword(p.User.PasswordHash, c.FormValue("current")); !ok {
		errs["current"] = "This is not your current password."
	}
	if msg := validatePassword(c.FormValue("new")); msg != "" {
		errs["new"] = msg
	}
	if len(errs) > 0 {
		return render(c, fiber.StatusUnprocessableEntity, PasswordPage(s.chrome(c, "Change password"), errs))
	}
	hash, err := HashPassword(c.FormValue("new"))
	if err != nil {
		return err
	}
	err = s.d.DB.WithContext(c.UserContext()).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&p.User).Update("password_hash", hash).Error; err != nil {
			return err
		}
		return writeAudit(tx, actor(c), "update", "user", p.User.ID, nil, nil, nil, "password changed")
	})
	if err != nil {
		return err
	}
	// Keep this session (with a new id); every other one is now signed out.
	sess, err := s.store.Get(c)
	if err != nil {
		return err
	}
	if err := sess.Regenerate(); err != nil {
		return err
	}
	sess.Set(sessionPassword, passwordVersion(hash))
	sess.Set(sessionFlash, "Your password has been changed. Other sessions of your account are signed out.")
	if err := sess.Save(); err != nil {
		return err
	}
	return redirect(c, "/admin/")
}

// passwordVersion fingerprints a password hash for sessions to remember.
func passwordVersion(hash string) string {
	sum := sha256.Sum256([]byte(hash))
	return hex.EncodeToString(sum[:8])
}
