package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// Locals of the admin's per-request state, and the CSRF field names.
const (
	localPrincipal = "admin.principal"
	localSession   = "admin.session"
	localCSRF      = "admin.csrf"
	localEvent     = "admin.event"
	csrfFormField  = "_csrf"
	csrfHeader     = "X-CSRF-Token"
)

// Config is what New needs.
type Config struct {
	Store     *store.Store
	Redis     rueidis.Client
	Namespace string // prefixes the Redis keys: namespace+"admin:"
	// Keys signs the sign-in forms' tokens, second-factor steps and device
	// cookies and seals second-factor secrets (secrets.Keyring). Required.
	Keys Keys
	// Dev relaxes cookie security (no Secure, no __Host- prefix) for plain HTTP.
	Dev bool
	// SessionIdle ends a session unused this long (ADMIN_SESSION_IDLE,
	// default 1 hour); SessionMax ends it this long after sign-in however
	// much it is used (ADMIN_SESSION_MAX, default 12 hours).
	SessionIdle, SessionMax time.Duration
	// Menu is the admin's top navigation, EventMenu the navigation inside
	// one event (paths under /admin/events/{id}); each account sees the
	// entries its permissions allow.
	Menu, EventMenu []ui.MenuEntry
	Logger          *slog.Logger
	Now             func() time.Time
}

// cookieNames are the admin's cookies: __Host- prefixed outside
// development, so no subdomain can set them.
type cookieNames struct {
	session, login, pending, device string
}

// Auth is the admin's accounts and access: sign-in and out, Redis-backed
// sessions, CSRF, the login throttle, the second factor and the one
// permission check.
type Auth struct {
	cfg      Config
	log      *slog.Logger
	sessions *sessionStore
	cookies  cookieNames
	secure   bool
	throttle *throttle
	// requireTOTP caches the site setting for settingCacheFor.
	requireMu    sync.Mutex
	requireTOTP  bool
	requireUntil time.Time
}

// New builds the admin's access layer.
func New(cfg Config) *Auth {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionIdle <= 0 {
		cfg.SessionIdle = time.Hour
	}
	if cfg.SessionMax <= 0 {
		cfg.SessionMax = 12 * time.Hour
	}
	cfg.SessionIdle = min(cfg.SessionIdle, cfg.SessionMax)
	if cfg.Keys == nil {
		panic("auth: Config.Keys is required")
	}
	a := &Auth{cfg: cfg, log: cfg.Logger.With("component", "admin"), secure: !cfg.Dev}
	a.cookies = cookieNames{"bc_admin", "bc_login", "bc_2fa", "bc_device"}
	if a.secure {
		a.cookies = cookieNames{"__Host-bc_admin", "__Host-bc_login", "__Host-bc_2fa", "__Host-bc_device"}
	}
	a.sessions = &sessionStore{client: cfg.Redis, prefix: cfg.Namespace + "admin:", idle: cfg.SessionIdle,
		max: cfg.SessionMax, now: cfg.Now}
	a.throttle = &throttle{client: cfg.Redis, prefix: cfg.Namespace + "admin:login:"}
	return a
}

// CSRF is the middleware every /admin route passes: it loads the session,
// and checks the token of every state-changing request (csrf.go).
func (a *Auth) CSRF() fiber.Handler { return a.middleware }

// setCookie sets one of the admin's cookies: HttpOnly, SameSite=Lax, Path=/,
// Secure outside development; expires zero makes it last the browser session.
func (a *Auth) setCookie(c *fiber.Ctx, name, value string, expires time.Time) {
	ck := &fiber.Cookie{Name: name, Value: value, Path: "/", Secure: a.secure, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode}
	if !expires.IsZero() {
		ck.Expires = expires
	}
	c.Cookie(ck)
}

// clearCookie removes one of the admin's cookies from the browser.
func (a *Auth) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", Secure: a.secure, HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Unix(0, 0), MaxAge: -1})
}

// currentSession returns the request's session, or nil; it is read once
// per request. A cookie naming no live session is cleared.
func (a *Auth) currentSession(c *fiber.Ctx) (*session, error) {
	if s, ok := c.Locals(localSession).(*session); ok {
		return s, nil
	}
	tok := c.Cookies(a.cookies.session)
	if tok == "" {
		return nil, nil
	}
	s, err := a.sessions.load(c.UserContext(), tok)
	if err != nil {
		return nil, err
	}
	if s == nil {
		a.clearCookie(c, a.cookies.session)
		return nil, nil
	}
	c.Locals(localSession, s)
	return s, nil
}

// sessionOf returns the session currentSession loaded, or nil.
func (a *Auth) sessionOf(c *fiber.Ctx) *session {
	s, _ := c.Locals(localSession).(*session)
	return s
}

// credentialVersion fingerprints what a session was signed in with: a
// change of the password or the email, by any path (the account page, the
// Users admin, createsuperuser), ends every session made before it.
func credentialVersion(u *models.User) string {
	sum := sha256.Sum256([]byte(u.PasswordHash + "\x00" + strings.ToLower(u.Email)))
	return hex.EncodeToString(sum[:12])
}

// signedIn returns the signed-in account and its session, or nil for
// anonymous requests. A session whose account was switched off or deleted,
// or whose password or email changed since, is ended here.
func (a *Auth) signedIn(c *fiber.Ctx) (*Principal, *session, error) {
	if p, ok := c.Locals(localPrincipal).(*Principal); ok {
		return p, a.sessionOf(c), nil
	}
	sess, err := a.currentSession(c)
	if err != nil || sess == nil {
		return nil, nil, err
	}
	ctx := c.UserContext()
	p, err := loadPrincipal(ctx, a.cfg.Store, sess.UserID)
	if err != nil {
		return nil, nil, err
	}
	if p == nil || sess.Cred != credentialVersion(&p.User) {
		why := "account switched off or deleted"
		if p != nil {
			why = "password or email changed"
		}
		if err := a.sessions.destroy(ctx, sess); err != nil {
			return nil, nil, err
		}
		a.clearCookie(c, a.cookies.session)
		c.Locals(localSession, nil)
		a.secLog(c, SecSessionEnded, sess.UserID, "", why)
		return nil, nil, nil
	}
	if err := a.sessions.touch(ctx, sess, c.IP()); err != nil {
		return nil, nil, err
	}
	c.Locals(localPrincipal, p)
	return p, sess, nil
}

// enrolPaths are what a session that must set up its second factor may use.
var enrolPaths = map[string]bool{"/admin/account/two-factor": true, "/admin/account/two-factor/enable": true, "/admin/logout": true}

// Guard is the one permission check every /admin route but sign-in and
// sign-out passes through. Anonymous GETs go to the login page; other
// anonymous requests get 403. "event:" permissions are checked against the
// {event} route parameter. While two-factor sign-in is required and the
// account has none, it may only set one up.
func (a *Auth) Guard(perm string, h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, sess, err := a.signedIn(c)
		if err != nil {
			return err
		}
		if p == nil {
			if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
				return c.Redirect("/admin/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
			}
			a.refused(c, "not signed in")
			return ui.Forbidden("Sign in first.")
		}
		if p.User.TOTPEnabledAt == nil && (sess.Enroll || a.totpRequired(c.UserContext())) && !enrolPaths[c.Path()] {
			if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
				return c.Redirect("/admin/account/two-factor", fiber.StatusSeeOther)
			}
			a.refused(c, "second factor not set up")
			return ui.Forbidden("Set up two-factor sign-in first: it is required on this site.")
		}
		var eventID int64
		if strings.HasPrefix(perm, "event:") {
			if eventID, err = ui.IDParam(c, "event", "event"); err != nil {
				return err
			}
		}
		if !p.Can(perm, eventID) {
			a.refused(c, "no permission "+perm)
			return ui.Forbidden("You do not have permission to do this.")
		}
		return h(c)
	}
}

// settingRequireTOTP is the site setting that makes two-factor sign-in
// required for every account; settingCacheFor how long a node reuses it.
const (
	settingRequireTOTP = "require_two_factor"
	settingCacheFor    = 5 * time.Second
)

// totpRequired reports whether every account must use a second factor.
// A read that fails keeps the last value.
func (a *Auth) totpRequired(ctx context.Context) bool {
	a.requireMu.Lock()
	defer a.requireMu.Unlock()
	now := a.cfg.Now()
	if now.Before(a.requireUntil) {
		return a.requireTOTP
	}
	v, err := a.cfg.Store.Setting(ctx, settingRequireTOTP, "")
	if err != nil {
		a.log.Warn("admin: read the two-factor setting", "err", err)
	} else {
		a.requireTOTP = v == "on"
	}
	a.requireUntil = now.Add(settingCacheFor)
	return a.requireTOTP
}

// PrincipalOf returns the account Guard has let through.
func PrincipalOf(c *fiber.Ctx) *Principal {
	p, _ := c.Locals(localPrincipal).(*Principal)
	return p
}

// ActorOf names the signed-in account for the audit log.
func ActorOf(c *fiber.Ctx) store.Actor {
	p := PrincipalOf(c)
	if p == nil {
		return store.Actor{Name: "anonymous"}
	}
	return store.Actor{UserID: p.User.ID, Name: p.User.Email}
}

// Event returns the event the URL names ({event}), whose permission Guard
// has checked; models.NotFound when there is none.
func (a *Auth) Event(c *fiber.Ctx) (*models.Event, error) {
	if ev, ok := c.Locals(localEvent).(*models.Event); ok {
		return ev, nil
	}
	id, err := ui.IDParam(c, "event", "event")
	if err != nil {
		return nil, err
	}
	ev, err := a.cfg.Store.AdminEvent(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	c.Locals(localEvent, ev)
	return ev, nil
}

// Flash keeps a message for the next page the account sees (nothing for
// anonymous requests: they have no session to keep it in).
func (a *Auth) Flash(c *fiber.Ctx, msg string) {
	s := a.sessionOf(c)
	if s == nil {
		return
	}
	if s.Flash != "" {
		msg = s.Flash + "\n" + msg
	}
	s.Flash = msg
	if err := a.sessions.set(c.UserContext(), s, "flash", msg); err != nil {
		a.log.Warn("admin: save flash", "err", err)
	}
}

// popFlash returns and clears the pending messages.
func (a *Auth) popFlash(c *fiber.Ctx) []string {
	s := a.sessionOf(c)
	if s == nil || s.Flash == "" {
		return nil
	}
	msg := s.Flash
	s.Flash = ""
	if err := a.sessions.set(c.UserContext(), s, "flash", ""); err != nil {
		a.log.Warn("admin: clear flash", "err", err)
	}
	return strings.Split(msg, "\n")
}

// Chrome builds the page chrome for the current request: the account, its
// CSRF token, pending messages (on GET) and the navigation it may use.
func (a *Auth) Chrome(c *fiber.Ctx, p ui.Page) ui.Chrome {
	ch := ui.Chrome{Title: p.Title, Crumbs: p.Crumbs}
	ch.CSRF, _ = c.Locals(localCSRF).(string)
	if c.Method() == fiber.MethodGet {
		ch.Flash = a.popFlash(c)
	}
	pr := PrincipalOf(c)
	if pr == nil {
		return ch
	}
	ch.Account = pr.User.Email
	for _, m := range a.cfg.Menu {
		if pr.Can(m.Perm, 0) {
			ch.Main = append(ch.Main, ui.NavLink{Label: m.Label, Href: "/admin" + m.Path, Current: p.Section == m.Section})
		}
	}
	if p.EventID != 0 {
		ch.EventTitle = p.EventTitle
		base := "/admin/events/" + strconv.FormatInt(p.EventID, 10)
		for _, m := range a.cfg.EventMenu {
			if pr.Can(m.Perm, p.EventID) {
				ch.EventNav = append(ch.EventNav, ui.NavLink{Label: m.Label, Href: base + m.Path, Current: p.Section == m.Section})
			}
		}
	}
	return ch
}

// EventPage is a Page inside ev's navigation.
func EventPage(title string, ev *models.Event, section string, crumbs ...ui.Crumb) ui.Page {
	p := ui.Page{Title: title, Crumbs: crumbs, Section: section}
	if ev != nil {
		p.EventID, p.EventTitle = ev.ID, ev.Title
	}
	return p
}

// ErrorPage renders an error answer inside the admin's chrome.
func (a *Auth) ErrorPage(c *fiber.Ctx, status int, msg string) error {
	return web.Render(c, status, ui.ErrorPage(a.Chrome(c, ui.Page{Title: fmt.Sprint(status)}), status, msg))
}
