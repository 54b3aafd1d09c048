package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
)

// BadLogin is what a failed sign-in reads, whichever part was wrong.
const BadLogin = "That email and password do not match an active account."

// BadCode is what a wrong second-factor code reads.
const BadCode = "That code is not right, or was used already. Try the next one your app shows, or a recovery code."

// pendingTTL is how long the second-factor step waits after the password.
const pendingTTL = 5 * time.Minute

// Register adds sign-in, sign-out and the account's pages under the admin
// group (web.Routes).
func (a *Auth) Register(g fiber.Router) {
	g.Get("/login", a.loginForm)
	g.Post("/login", a.login)
	g.Get("/login/two-factor", a.factorForm)
	g.Post("/login/two-factor", a.factorLogin)
	g.Post("/logout", a.logout)
	a.registerAccount(g)
	a.registerSecurity(g)
}

// loginForm shows the sign-in form (or goes home when already signed in).
// It stores nothing: its token is signed (csrf.go).
func (a *Auth) loginForm(c *fiber.Ctx) error {
	if p, _, _ := a.signedIn(c); p != nil {
		return ui.Redirect(c, safeNext(c.Query("next")))
	}
	return a.renderLogin(c, fiber.StatusOK, "", c.Query("next"), "")
}

func (a *Auth) renderLogin(c *fiber.Ctx, status int, email, next, msg string) error {
	c.Locals(localCSRF, a.loginToken(c))
	return web.Render(c, status, LoginPage(a.Chrome(c, ui.Page{Title: "Sign in"}), email, next, msg))
}

// login counts the attempt against the throttle, then checks the password.
// With a second factor it goes on to that step; otherwise the session is
// created now, with a new id and CSRF token, so nothing issued before
// sign-in stays valid.
func (a *Auth) login(c *fiber.Ctx) error {
	ctx := c.UserContext()
	email := strings.TrimSpace(c.FormValue("email"))
	pw := c.FormValue("password")
	next := c.FormValue("next")
	ip := c.IP()
	device := a.deviceFor(c, email)
	wait, err := a.throttle.attempt(ctx, email, ip, device)
	if err != nil {
		return err
	}
	if wait > 0 {
		a.secLog(c, SecThrottled, 0, email, "")
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return a.renderLogin(c, fiber.StatusTooManyRequests, email, next, "Too many failed sign-ins. Wait a few minutes and try again.")
	}
	u, known, err := a.authenticate(ctx, email, pw)
	if err != nil {
		return err
	}
	if u == nil { // the attempt stays counted
		a.secLog(c, SecSignInFailed, known, email, "wrong password or no such active account")
		return a.renderLogin(c, fiber.StatusUnauthorized, email, next, BadLogin)
	}
	if u.TOTPEnabledAt != nil {
		b, _ := json.Marshal(pendingClaim{UserID: u.ID, Cred: a.credTag(u), Device: device,
			Exp: a.cfg.Now().Add(pendingTTL).Unix(), Next: safeNext(next)})
		a.setCookie(c, a.cookies.pending, a.signed(purposePending, b), time.Time{})
		return ui.Redirect(c, "/admin/login/two-factor")
	}
	return a.completeSignIn(c, u, device, "password", a.totpRequired(ctx), next)
}

// pendingClaim is the signed state between the password and the second
// factor: kept by the browser, so the step stores nothing either.
type pendingClaim struct {
	UserID int64  `json:"u"`
	Cred   string `json:"c"`
	Device string `json:"d,omitempty"`
	Exp    int64  `json:"x"`
	Next   string `json:"n"`
}

// credTag binds the second-factor step to the account's credentials at the
// password step without showing the browser anything derived from the
// password hash alone: a keyed MAC of credentialVersion.
func (a *Auth) credTag(u *models.User) string {
	return base64.RawURLEncoding.EncodeToString(a.cfg.Keys.Sign(purposePending+"/cred", []byte(credentialVersion(u)))[:12])
}

// pending returns the request's valid second-factor step and its account.
func (a *Auth) pending(c *fiber.Ctx) (*pendingClaim, *models.User, error) {
	var pc pendingClaim
	if !a.verified(purposePending, c.Cookies(a.cookies.pending), &pc) || a.cfg.Now().Unix() > pc.Exp {
		return nil, nil, nil
	}
	u, err := a.cfg.Store.ActiveUser(c.UserContext(), pc.UserID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if a.credTag(u) != pc.Cred || u.TOTPEnabledAt == nil {
		return nil, nil, nil
	}
	return &pc, u, nil
}

// factorForm asks for the second factor after a right password.
func (a *Auth) factorForm(c *fiber.Ctx) error {
	pc, _, err := a.pending(c)
	if err != nil {
		return err
	}
	if pc == nil {
		return ui.Redirect(c, "/admin/login")
	}
	return a.renderFactor(c, fiber.StatusOK, "")
}

func (a *Auth) renderFactor(c *fiber.Ctx, status int, msg string) error {
	c.Locals(localCSRF, a.loginToken(c))
	return web.Render(c, status, FactorPage(a.Chrome(c, ui.Page{Title: "Two-factor sign-in"}), msg))
}

// factorLogin checks a code from the authenticator app (each works once)
// or a recovery code (each works once), limited per account.
func (a *Auth) factorLogin(c *fiber.Ctx) error {
	ctx := c.UserContext()
	pc, u, err := a.pending(c)
	if err != nil {
		return err
	}
	if pc == nil {
		return a.renderLogin(c, fiber.StatusUnauthorized, "", "", "The sign-in took too long or was interrupted. Sign in again.")
	}
	wait, err := a.throttle.secondFactor(ctx, u.ID)
	if err != nil {
		return err
	}
	if wait > 0 {
		a.secLog(c, SecThrottled, u.ID, u.Email, "second factor")
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return a.renderFactor(c, fiber.StatusTooManyRequests, "Too many wrong codes. Wait a few minutes and try again.")
	}
	code := c.FormValue("code")
	how, err := a.checkFactor(ctx, u, code)
	if err != nil {
		return err
	}
	if how == "" {
		a.secLog(c, SecFactorFailed, u.ID, u.Email, "")
		return a.renderFactor(c, fiber.StatusUnauthorized, BadCode)
	}
	if how == "recovery code" {
		left, _ := a.cfg.Store.RecoveryCodesLeft(ctx, u.ID)
		a.secLog(c, SecRecoveryUsed, u.ID, u.Email, strconv.FormatInt(left, 10)+" left")
	}
	a.clearCookie(c, a.cookies.pending)
	return a.completeSignIn(c, u, pc.Device, "password and "+how, false, pc.Next)
}

// checkFactor returns how code proved the second factor of u ("" for not).
func (a *Auth) checkFactor(ctx context.Context, u *models.User, code string) (string, error) {
	if looksLikeRecoveryCode(code) {
		ok, err := a.cfg.Store.UseRecoveryCode(ctx, u.ID, a.recoveryHash(u.ID, code))
		if err != nil || !ok {
			return "", err
		}
		return "recovery code", nil
	}
	secret, err := a.openTOTP(u)
	if err != nil {
		return "", err
	}
	step := totpStep(secret, code, a.cfg.Now())
	if step < 0 {
		return "", nil
	}
	fresh, err := a.claimStep(ctx, u.ID, step)
	if err != nil || !fresh {
		return "", err
	}
	return "authenticator app", nil
}

// completeSignIn creates the session of u (its first server state), gives
// the browser a device cookie for the account, and goes on to next (or to
// setting up a second factor when enrol is set).
func (a *Auth) completeSignIn(c *fiber.Ctx, u *models.User, device, how string, enrol bool, next string) error {
	ctx := c.UserContext()
	if err := a.throttle.succeeded(ctx, u.Email, c.IP(), device, u.ID); err != nil {
		return err
	}
	sess := &session{UserID: u.ID, Cred: credentialVersion(u), UA: userAgent(c), IP: c.IP(), Enroll: enrol && u.TOTPEnabledAt == nil}
	token, err := a.sessions.create(ctx, sess)
	if err != nil {
		return err
	}
	a.setCookie(c, a.cookies.session, token, a.sessions.deadline(sess))
	a.clearCookie(c, a.cookies.login)
	a.issueDevice(c, u.Email)
	if err := a.cfg.Store.RecordLogin(ctx, u.ID, a.cfg.Now()); err != nil {
		a.log.Warn("admin: record login time", "err", err)
	}
	a.secLog(c, SecSignIn, u.ID, u.Email, how)
	if sess.Enroll {
		return ui.Redirect(c, "/admin/account/two-factor")
	}
	return ui.Redirect(c, safeNext(next))
}

// userAgent is the request's User-Agent, capped.
func userAgent(c *fiber.Ctx) string {
	ua := string(c.Request().Header.UserAgent())
	if len(ua) > 300 {
		ua = ua[:300]
	}
	return ua
}

// authenticate returns the active account whose email and password match,
// or nil, and the id of the account the email names (0 for none). An
// unknown email costs one hash, like a known one.
func (a *Auth) authenticate(ctx context.Context, email, pw string) (*models.User, int64, error) {
	u, err := a.cfg.Store.UserByEmail(ctx, email)
	if errors.Is(err, models.ErrNotFound) || email == "" {
		_, _ = HashPassword(pw)
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	ok, err := CheckPassword(u.PasswordHash, pw)
	if err != nil {
		a.log.Warn("admin: unreadable password hash", "user", u.ID, "err", err)
		return nil, u.ID, nil
	}
	if !ok || !u.IsActive {
		return nil, u.ID, nil
	}
	return u, u.ID, nil
}

// logout ends the session (in Redis and the cookie).
func (a *Auth) logout(c *fiber.Ctx) error {
	if s := a.sessionOf(c); s != nil {
		if err := a.sessions.destroy(c.UserContext(), s); err != nil {
			return err
		}
		a.secLog(c, SecSignOut, s.UserID, "", "")
	}
	a.clearCookie(c, a.cookies.session)
	return ui.Redirect(c, "/admin/login")
}

// safeNext keeps post-login redirects inside the admin.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/admin") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(next, "/admin/login") || strings.HasPrefix(next, "/admin/logout") {
		return "/admin/"
	}
	return next
}
