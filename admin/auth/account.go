package auth

import (
	"context"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// The account's own pages: what it is (email, when the password and email
// last changed, its second factor), its sessions (device, address, started,
// last seen) with a button to end each, its recent security log, and the
// forms that change the password, the email and the second factor. Each
// change is audited in its transaction; a password or email change ends
// every other session of the account and gives this one a new id.

func (a *Auth) registerAccount(g fiber.Router) {
	g.Get("/account", a.Guard(PermAccess, a.accountPage))
	g.Post("/account/sessions/end-others", a.Guard(PermAccess, a.endOtherSessions))
	g.Post("/account/sessions/:id/end", a.Guard(PermAccess, a.endSession))
	g.Get("/password", a.Guard(PermAccess, a.passwordForm))
	g.Post("/password", a.Guard(PermAccess, a.changePassword))
	g.Get("/account/email", a.Guard(PermAccess, a.emailForm))
	g.Post("/account/email", a.Guard(PermAccess, a.changeEmail))
	g.Get("/account/two-factor", a.Guard(PermAccess, a.factorSetup))
	g.Post("/account/two-factor/enable", a.Guard(PermAccess, a.enableFactor))
	g.Post("/account/two-factor/disable", a.Guard(PermAccess, a.disableFactor))
	g.Post("/account/two-factor/recovery-codes", a.Guard(PermAccess, a.renewRecoveryCodes))
}

// SessionView is one session as the account page lists it.
type SessionView struct {
	ID      string
	Device  string
	IP      string
	Started string
	Seen    string
	Current bool
}

// AccountView is what the account page shows.
type AccountView struct {
	Email           string
	PasswordChanged string
	EmailChanged    string
	LastLogin       string
	TwoFactorSince  string // "" when off
	RecoveryLeft    int64
	TwoFactorNeeded bool
	Sessions        []SessionView
	Events          []models.SecurityEvent
}

func (a *Auth) accountPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p, sess := PrincipalOf(c), a.sessionOf(c)
	u := p.User
	v := AccountView{Email: u.Email, PasswordChanged: whenOr(u.PasswordChangedAt, "not since the account was made"),
		EmailChanged: whenOr(u.EmailChangedAt, "not since the account was made"), LastLogin: whenOr(u.LastLoginAt, "never"),
		TwoFactorSince: whenOr(u.TOTPEnabledAt, ""), TwoFactorNeeded: a.totpRequired(ctx)}
	if u.TOTPEnabledAt != nil {
		n, err := a.cfg.Store.RecoveryCodesLeft(ctx, u.ID)
		if err != nil {
			return err
		}
		v.RecoveryLeft = n
	}
	all, err := a.sessions.list(ctx, u.ID)
	if err != nil {
		return err
	}
	for _, s := range all {
		if s.Cred != credentialVersion(&u) {
			continue // ended by a change of password or email; gone at its next use
		}
		v.Sessions = append(v.Sessions, SessionView{ID: s.ID, Device: DeviceName(s.UA), IP: s.IP,
			Started: ui.When(s.Created), Seen: ui.When(s.Seen), Current: sess != nil && s.ID == sess.ID})
	}
	if v.Events, err = a.cfg.Store.SecurityLog(ctx, store.SecurityLogFilter{UserID: u.ID, Limit: 20}); err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, AccountPage(a.Chrome(c, ui.Page{Title: "Your account", Section: "account"}), v))
}

// endSession ends one of the account's sessions (this one too: that is
// signing out).
func (a *Auth) endSession(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p, cur := PrincipalOf(c), a.sessionOf(c)
	id := c.Params("id")
	s, err := a.sessions.get(ctx, id)
	if err != nil {
		return err
	}
	if s == nil || s.UserID != p.User.ID {
		return models.NotFound("session", nil)
	}
	if err := a.sessions.destroy(ctx, s); err != nil {
		return err
	}
	a.secLog(c, SecSessionEnded, p.User.ID, p.User.Email, "ended from the account page: "+DeviceName(s.UA)+" at "+s.IP)
	if cur != nil && s.ID == cur.ID {
		a.clearCookie(c, a.cookies.session)
		return ui.Redirect(c, "/admin/login")
	}
	a.Flash(c, "That session is ended.")
	return ui.Redirect(c, "/admin/account")
}

// endOtherSessions ends every session of the account but this one.
func (a *Auth) endOtherSessions(c *fiber.Ctx) error {
	p, cur := PrincipalOf(c), a.sessionOf(c)
	n, err := a.sessions.endAll(c.UserContext(), p.User.ID, cur.ID)
	if err != nil {
		return err
	}
	a.secLog(c, SecSessionEnded, p.User.ID, p.User.Email, "every other session ended from the account page ("+strconv.Itoa(n)+")")
	a.Flash(c, "Every other session of your account is ended.")
	return ui.Redirect(c, "/admin/account")
}

func (a *Auth) passwordForm(c *fiber.Ctx) error {
	return web.Render(c, fiber.StatusOK, PasswordPage(a.Chrome(c, ui.Page{Title: "Change password", Section: "account"}), nil))
}

// changePassword needs the current password; the change is audited, every
// other session ends and this one gets a new id.
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
		return web.Render(c, fiber.StatusUnprocessableEntity, PasswordPage(a.Chrome(c, ui.Page{Title: "Change password", Section: "account"}), errs))
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
	u := p.User
	u.PasswordHash = hash
	if err := a.credentialsChanged(c, &u, "password changed"); err != nil {
		return err
	}
	a.secLog(c, SecPasswordChange, u.ID, u.Email, "")
	a.Flash(c, "Your password has been changed. Other sessions of your account are signed out.")
	return ui.Redirect(c, "/admin/account")
}

// credentialsChanged ends every other session of u and gives this one a
// new id bound to u's new credentials.
func (a *Auth) credentialsChanged(c *fiber.Ctx, u *models.User, why string) error {
	ctx := c.UserContext()
	cur := a.sessionOf(c)
	n, err := a.sessions.endAll(ctx, u.ID, cur.ID)
	if err != nil {
		return err
	}
	if n > 0 {
		a.secLog(c, SecSessionEnded, u.ID, u.Email, why+": "+ui.Plural(n, "one other session", strconv.Itoa(n)+" other sessions")+" ended")
	}
	cur.Cred = credentialVersion(u)
	token, err := a.sessions.rotate(ctx, cur)
	if err != nil {
		return err
	}
	a.setCookie(c, a.cookies.session, token, a.sessions.deadline(cur))
	return nil
}

func (a *Auth) emailForm(c *fiber.Ctx) error {
	return web.Render(c, fiber.StatusOK, EmailPage(a.Chrome(c, ui.Page{Title: "Change email", Section: "account"}), PrincipalOf(c).User.Email, nil))
}

// changeEmail needs the current password; the change is audited (the old
// and the new address), every other session ends and this one gets a new id.
func (a *Auth) changeEmail(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p := PrincipalOf(c)
	errs := map[string]string{}
	if ok, _ := CheckPassword(p.User.PasswordHash, c.FormValue("current")); !ok {
		errs["current"] = "This is not your current password."
	}
	email, msg := ValidateEmail(c.FormValue("email"))
	if msg != "" {
		errs["email"] = msg
	} else if strings.EqualFold(email, p.User.Email) && email == p.User.Email {
		errs["email"] = "This is your email already."
	} else if taken, err := a.cfg.Store.EmailTaken(ctx, email, p.User.ID); err != nil {
		return err
	} else if taken {
		errs["email"] = "Another account uses this email."
	}
	if len(errs) > 0 {
		return web.Render(c, fiber.StatusUnprocessableEntity, EmailPage(a.Chrome(c, ui.Page{Title: "Change email", Section: "account"}), c.FormValue("email"), errs))
	}
	old := p.User.Email
	err := a.cfg.Store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.SetEmail(ctx, p.User.ID, email); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Change{Actor: ActorOf(c), Action: "update", ObjectType: "user", ObjectID: store.ID(p.User.ID),
			Before: map[string]string{"email": old}, After: map[string]string{"email": email}, Message: "email changed"})
	})
	if err != nil {
		return err
	}
	u := p.User
	u.Email = email
	if err := a.credentialsChanged(c, &u, "email changed"); err != nil {
		return err
	}
	a.secLog(c, SecEmailChange, u.ID, email, "from "+old)
	a.Flash(c, "Your email is now "+email+". Other sessions of your account are signed out.")
	return ui.Redirect(c, "/admin/account")
}

// factorSetup shows the second factor: how to turn it on (a fresh secret
// offered until confirmed, kept in the session) or, when on, how to renew
// recovery codes or turn it off.
func (a *Auth) factorSetup(c *fiber.Ctx) error {
	return a.renderFactorSetup(c, fiber.StatusOK, nil, "")
}

func (a *Auth) renderFactorSetup(c *fiber.Ctx, status int, codes []string, errMsg string) error {
	ctx := c.UserContext()
	p, sess := PrincipalOf(c), a.sessionOf(c)
	v := FactorSetupView{On: p.User.TOTPEnabledAt != nil, Required: a.totpRequired(ctx) || sess.Enroll, Codes: codes, Error: errMsg}
	if v.On {
		v.Since = whenOr(p.User.TOTPEnabledAt, "")
		n, err := a.cfg.Store.RecoveryCodesLeft(ctx, p.User.ID)
		if err != nil {
			return err
		}
		v.RecoveryLeft = n
	} else {
		var offer totpOffer
		var err error
		if sess.TOTPOffer != "" {
			offer, err = offerOf(sess.TOTPOffer, p.User.Email)
		} else {
			offer, err = newTOTPOffer(p.User.Email)
			if err == nil {
				sess.TOTPOffer = offer.Secret
				err = a.sessions.set(ctx, sess, "totp_offer", offer.Secret)
			}
		}
		if err != nil {
			return err
		}
		v.Secret, v.QR = offer.Secret, offer.QR
	}
	return web.Render(c, status, FactorSetupPage(a.Chrome(c, ui.Page{Title: "Two-factor sign-in", Section: "account"}), v))
}

// FactorSetupView is what the second-factor page shows.
type FactorSetupView struct {
	On           bool
	Since        string
	RecoveryLeft int64
	Required     bool
	Secret, QR   string   // the offer, when off
	Codes        []string // recovery codes, shown once right after they are made
	Error        string
}

// enableFactor turns the second factor on once a code from the offered
// secret proves the app has it, and shows the recovery codes once.
func (a *Auth) enableFactor(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p, sess := PrincipalOf(c), a.sessionOf(c)
	if p.User.TOTPEnabledAt != nil {
		return ui.Redirect(c, "/admin/account/two-factor")
	}
	if sess.TOTPOffer == "" {
		return a.renderFactorSetup(c, fiber.StatusUnprocessableEntity, nil, "Scan the code below first.")
	}
	now := a.cfg.Now()
	step := totpStep(sess.TOTPOffer, c.FormValue("code"), now)
	if step < 0 {
		return a.renderFactorSetup(c, fiber.StatusUnprocessableEntity, nil, "That code does not match. Enter the six digits your app shows now.")
	}
	if _, err := a.claimStep(ctx, p.User.ID, step); err != nil {
		return err
	}
	sealed, err := a.sealTOTP(p.User.ID, sess.TOTPOffer)
	if err != nil {
		return err
	}
	codes, hashes := a.newRecoveryCodes(p.User.ID)
	err = a.cfg.Store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.SetTOTP(ctx, p.User.ID, sealed, &now); err != nil {
			return err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, p.User.ID, hashes); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Change{Actor: ActorOf(c), Action: "update", ObjectType: "user", ObjectID: store.ID(p.User.ID),
			Message: "two-factor sign-in turned on"})
	})
	if err != nil {
		return err
	}
	sess.TOTPOffer, sess.Enroll = "", false
	if err := a.sessions.set(ctx, sess, "totp_offer", "", "enroll", ""); err != nil {
		return err
	}
	a.secLog(c, SecFactorOn, p.User.ID, p.User.Email, "")
	p.User.TOTPEnabledAt = &now
	return a.renderFactorSetup(c, fiber.StatusOK, codes, "")
}

// disableFactor turns the second factor off, given the password and a
// current code (or a recovery code); refused while it is required.
func (a *Auth) disableFactor(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p := PrincipalOf(c)
	if p.User.TOTPEnabledAt == nil {
		return ui.Redirect(c, "/admin/account/two-factor")
	}
	if a.totpRequired(ctx) {
		return a.renderFactorSetup(c, fiber.StatusUnprocessableEntity, nil, "Two-factor sign-in is required for every account on this site; it cannot be turned off.")
	}
	if msg, err := a.reauthenticate(ctx, &p.User, c.FormValue("current"), c.FormValue("code")); err != nil || msg != "" {
		if err != nil {
			return err
		}
		return a.renderFactorSetup(c, fiber.StatusUnprocessableEntity, nil, msg)
	}
	err := a.cfg.Store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.SetTOTP(ctx, p.User.ID, nil, nil); err != nil {
			return err
		}
		if err := tx.ReplaceRecoveryCodes(ctx, p.User.ID, nil); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Change{Actor: ActorOf(c), Action: "update", ObjectType: "user", ObjectID: store.ID(p.User.ID),
			Message: "two-factor sign-in turned off"})
	})
	if err != nil {
		return err
	}
	a.secLog(c, SecFactorOff, p.User.ID, p.User.Email, "")
	a.Flash(c, "Two-factor sign-in is off for your account.")
	return ui.Redirect(c, "/admin/account")
}

// renewRecoveryCodes replaces the recovery codes, given the password and a
// current code, and shows the new ones once.
func (a *Auth) renewRecoveryCodes(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p := PrincipalOf(c)
	if p.User.TOTPEnabledAt == nil {
		return ui.Redirect(c, "/admin/account/two-factor")
	}
	if msg, err := a.reauthenticate(ctx, &p.User, c.FormValue("current"), c.FormValue("code")); err != nil || msg != "" {
		if err != nil {
			return err
		}
		return a.renderFactorSetup(c, fiber.StatusUnprocessableEntity, nil, msg)
	}
	codes, hashes := a.newRecoveryCodes(p.User.ID)
	err := a.cfg.Store.Tx(ctx, func(tx *store.Store) error {
		if err := tx.ReplaceRecoveryCodes(ctx, p.User.ID, hashes); err != nil {
			return err
		}
		return tx.Audit(ctx, store.Change{Actor: ActorOf(c), Action: "update", ObjectType: "user", ObjectID: store.ID(p.User.ID),
			Message: "recovery codes renewed"})
	})
	if err != nil {
		return err
	}
	a.secLog(c, SecRecoveryNew, p.User.ID, p.User.Email, "")
	return a.renderFactorSetup(c, fiber.StatusOK, codes, "")
}

// reauthenticate checks the password and a second-factor code of u before
// a change to the second factor; it returns a message when either is wrong.
// Wrong codes count against the account's second-factor allowance.
func (a *Auth) reauthenticate(ctx context.Context, u *models.User, pw, code string) (string, error) {
	if ok, _ := CheckPassword(u.PasswordHash, pw); !ok {
		return "This is not your current password.", nil
	}
	if wait, err := a.throttle.secondFactor(ctx, u.ID); err != nil || wait > 0 {
		if err != nil {
			return "", err
		}
		return "Too many wrong codes. Wait a few minutes and try again.", nil
	}
	how, err := a.checkFactor(ctx, u, code)
	if err != nil {
		return "", err
	}
	if how == "" {
		return BadCode, nil
	}
	return "", nil
}
