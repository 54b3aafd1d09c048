package auth

import (
	"crypto/subtle"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/admin/ui"
)

// CSRF, two ways and no server state for anyone not signed in:
//
//   - A signed-in request carries its session's token (a random value kept
//     in the session, the synchronizer pattern): in the _csrf form field or
//     the X-CSRF-Token header, compared in constant time.
//   - The sign-in forms (password, then second factor) are posted before
//     there is a session. They carry a token signed with a key derived from
//     SECRET_KEY over a random nonce kept in a cookie and an expiry (OWASP's
//     signed double-submit cookie): another site can neither read the
//     cookie nor make the signature, and checking it needs no Redis.
//
// Either failure is a 403, written to the security log.

// loginTokenTTL is how long a sign-in form stays valid.
const loginTokenTTL = 2 * time.Hour

// loginPaths are the forms posted before a session exists.
var loginPaths = map[string]bool{"/admin/login": true, "/admin/login/two-factor": true}

// middleware loads the request's session (if any), exposes its CSRF token
// to the page, and checks the token of every state-changing request.
func (a *Auth) middleware(c *fiber.Ctx) error {
	sess, err := a.currentSession(c)
	if err != nil {
		return err
	}
	if sess != nil {
		c.Locals(localCSRF, sess.CSRF)
	}
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	sent := csrfFromHeaderOrForm(c)
	switch {
	case loginPaths[c.Path()]:
		if a.validLoginToken(c, sent) {
			return c.Next()
		}
	case c.Path() == "/admin/logout" && sess == nil:
		return c.Next() // signing out without a session changes nothing
	case sess != nil && sent != "" && subtle.ConstantTimeCompare([]byte(sent), []byte(sess.CSRF)) == 1:
		return c.Next()
	}
	reason := "missing"
	if sent != "" {
		reason = "wrong"
	}
	a.refused(c, "CSRF token "+reason)
	return ui.Forbidden("This form has expired or was not sent from this site. Go back, reload the page and try again.")
}

// csrfFromHeaderOrForm reads the token from X-CSRF-Token (scripts) or the
// _csrf form field (pages).
func csrfFromHeaderOrForm(c *fiber.Ctx) string {
	if t := c.Get(csrfHeader); t != "" {
		return t
	}
	return c.FormValue(csrfFormField)
}

// loginToken returns the token of a sign-in form, setting the nonce cookie
// it is bound to when the browser has none yet.
func (a *Auth) loginToken(c *fiber.Ctx) string {
	nonce := c.Cookies(a.cookies.login)
	if !validToken(nonce, 16) {
		nonce = newToken(16)
		a.setCookie(c, a.cookies.login, nonce, time.Time{})
	}
	exp := strconv.FormatInt(a.cfg.Now().Add(loginTokenTTL).Unix(), 10)
	mac := a.cfg.Keys.Sign(purposeLoginForm, []byte(nonce+"|"+exp))
	return exp + "." + base64.RawURLEncoding.EncodeToString(mac)
}

// validLoginToken checks a sign-in form's token against the nonce cookie.
func (a *Auth) validLoginToken(c *fiber.Ctx, tok string) bool {
	nonce := c.Cookies(a.cookies.login)
	exp, mac64, ok := strings.Cut(tok, ".")
	if !ok || !validToken(nonce, 16) {
		return false
	}
	at, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || a.cfg.Now().Unix() > at {
		return false
	}
	mac, err := base64.RawURLEncoding.DecodeString(mac64)
	return err == nil && a.cfg.Keys.Verify(purposeLoginForm, []byte(nonce+"|"+exp), mac)
}
