package auth

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/models"
)

// Kinds of line in the security log.
const (
	SecSignIn         = "sign_in"
	SecSignInFailed   = "sign_in_failed"
	SecThrottled      = "sign_in_throttled"
	SecFactorFailed   = "second_factor_failed"
	SecRecoveryUsed   = "recovery_code_used"
	SecSignOut        = "sign_out"
	SecSessionEnded   = "session_ended"
	SecFactorOn       = "two_factor_enabled"
	SecFactorOff      = "two_factor_disabled"
	SecRecoveryNew    = "recovery_codes_renewed"
	SecForbidden      = "forbidden"
	SecPasswordChange = "password_changed"
	SecEmailChange    = "email_changed"
)

// SecurityKinds lists the kinds in the order the security page offers them.
var SecurityKinds = []string{SecSignIn, SecSignInFailed, SecThrottled, SecFactorFailed, SecRecoveryUsed, SecSignOut,
	SecSessionEnded, SecFactorOn, SecFactorOff, SecRecoveryNew, SecPasswordChange, SecEmailChange, SecForbidden}

// secLog writes one line of the security log for this request. Lines
// without an account (failed sign-ins, refusals of anonymous requests) are
// limited per address, so a flood cannot fill Postgres; a line that cannot
// be written is logged and the request goes on.
func (a *Auth) secLog(c *fiber.Ctx, kind string, uid int64, email, detail string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	ip := c.IP()
	if uid == 0 && !a.throttle.mayLog(ctx, ip) {
		a.log.Warn("admin: security log line dropped (address over its hourly allowance)", "kind", kind, "ip", ip)
		return
	}
	e := models.SecurityEvent{At: a.cfg.Now(), Kind: kind, Email: email, IP: ip, UserAgent: string(c.Request().Header.UserAgent()), Detail: detail}
	if uid != 0 {
		e.UserID = &uid
	}
	if err := a.cfg.Store.LogSecurity(ctx, e); err != nil {
		a.log.Warn("admin: write security log", "kind", kind, "err", err)
	}
	a.log.Info("admin security", "kind", kind, "user", uid, "ip", ip, "detail", detail)
}

// refused logs a 403 of this request (CSRF or permission).
func (a *Auth) refused(c *fiber.Ctx, why string) {
	var uid int64
	var email string
	if p, _ := c.Locals(localPrincipal).(*Principal); p != nil {
		uid, email = p.User.ID, p.User.Email
	} else if s := a.sessionOf(c); s != nil {
		uid = s.UserID
	}
	a.secLog(c, SecForbidden, uid, email, why+": "+c.Method()+" "+c.Path())
}
