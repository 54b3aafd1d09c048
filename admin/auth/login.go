package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// BadLogin is what a failed sign-in reads, whichever part was wrong.
const BadLogin = "That email and password do not match an active account."

// Register adds sign-in, sign-out and the password change under the admin
// group (web.Routes).
func (a *Auth) Register(g fiber.Router) {
	g.Get("/login", a.loginForm)
	g.Post("/login", a.login)
	g.Post("/logout", a.logout)
	g.Get("/password", a.Guard(PermAccess, a.passwordForm))
	g.Post("/password", a.Guard(PermAccess, a.changePassword))
}

// loginForm shows the sign-in form (or goes home when already signed in).
func (a *Auth) loginForm(c *fiber.Ctx) error {
	if p, _ := a.signedIn(c); p != nil {
		return ui.Redirect(c, safeNext(c.Query("next")))
	}
	return web.Render(c, fiber.StatusOK, LoginPage(a.Chrome(c, ui.Page{Title: "Sign in"}), "", c.Query("next"), ""))
}

// login counts the attempt against the throttle, then checks the password;
// on success it rotates the session id and the CSRF token, so nothing issued
// before sign-in stays valid.
func (a *Auth) login(c *fiber.Ctx) error {
	ctx := c.UserContext()
	email := strings.TrimSpace(c.FormValue("email"))
	pw := c.FormValue("password")
	next := c.FormValue("next")
	ip := c.IP()
	again := func(status int, msg string) error {
		return web.Render(c, status, LoginPage(a.Chrome(c, ui.Page{Title: "Sign in"}), email, next, msg))
	}
	wait, err := a.throttle.attempt(ctx, email, ip)
	if err != nil {
		return err
	}
	if wait > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return again(fiber.StatusTooManyRequests, "Too many failed sign-ins. Wait a few minutes and try again.")
	}
	u, err := a.authenticate(ctx, email, pw)
	if err != nil {
		return err
	}
	if u == nil { // the attempt stays counted
		a.log.Info("admin login failed", "email", email, "ip", ip)
		return again(fiber.StatusUnauthorized, BadLogin)
	}
	if err := a.throttle.succeeded(ctx, email, ip); err != nil {
		return err
	}
	sess, err := a.sessions.Get(c)
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
	if err := a.cfg.Store.RecordLogin(ctx, u.ID, a.cfg.Now()); err != nil {
		a.log.Warn("admin: record login time", "err", err)
	}
	a.log.Info("admin login", "user", u.ID, "ip", ip)
	return ui.Redirect(c, safeNext(next))
}

// authenticate returns the active account whose email and password match,
// or nil. An unknown email costs one hash, like a known one.
func (a *Auth) authenticate(ctx context.Context, email, pw string) (*models.User, error) {
	u, err := a.cfg.Store.UserByEmail(ctx, email)
	if errors.Is(err, models.ErrNotFound) || email == "" {
		_, _ = HashPassword(pw)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ok, err := CheckPassword(u.PasswordHash, pw)
	if err != nil {
		a.log.Warn("admin: unreadable password hash", "user", u.ID, "err", err)
		return nil, nil
	}
	if !ok || !u.IsActive {
		return nil, nil
	}
	return u, nil
}

// logout destroys the session (Redis data and cookie).
func (a *Auth) logout(c *fiber.Ctx) error {
	sess, err := a.sessions.Get(c)
	if err != nil {
		return err
	}
	if err := sess.Destroy(); err != nil {
		return err
	}
	return ui.Redirect(c, "/admin/login")
}

func (a *Auth) passwordForm(c *fiber.Ctx) error {
	return web.Render(c, fiber.StatusOK, PasswordPage(a.Chrome(c, ui.Page{Title: "Change password"}), nil))
}

// changePassword needs the current password; the change is audited.
func (a *Auth) changePassword(c *fiber.Ctx) error {
	p := PrincipalOf(c)
	errs := map[string]string{}
	if ok, _ := CheckPassword(p.User.PasswordHash, c.FormValue("current")); !ok {
		errs["current"] = "This is not your current password."
	}
	if msg := ValidatePassword(c.FormValue("new")); msg != "" {
		errs["new"] = msg
	}
	if len(errs) > 0 {
		return web.Render(c, fiber.StatusUnprocessableEntity, PasswordPage(a.Chrome(c, ui.Page{Title: "Change password"}), errs))
	}
	hash, err := HashPassword(c.FormValue("new"))
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	err = a.cfg.Store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.SetUserPassword(ctx, p.User.ID, hash); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Change{Actor: ActorOf(c), Action: "update", ObjectType: "user",
			ObjectID: store.ID(p.User.ID), Message: "password changed"})
	})
	if err != nil {
		return err
	}
	// Keep this session (with a new id); every other one is now signed out.
	sess, err := a.sessions.Get(c)
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
	return ui.Redirect(c, "/admin/")
}

// passwordVersion fingerprints a password hash for sessions to remember.
func passwordVersion(hash string) string {
	sum := sha256.Sum256([]byte(hash))
	return hex.EncodeToString(sum[:8])
}

// safeNext keeps post-login redirects inside the admin.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/admin") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(next, "/admin/login") || strings.HasPrefix(next, "/admin/logout") {
		return "/admin/"
	}
	return next
}
