package auth

import (
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/csrf"
	"github.com/gofiber/fiber/v2/middleware/session"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/admin/ui"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// Locals and session keys of the admin's per-request state.
const (
	localPrincipal = "admin.principal"
	localCSRF      = "admin.csrf"
	localEvent     = "admin.event"
	sessionUserID  = "uid"
	sessionFlash   = "flash"
	// sessionPassword holds a fingerprint of the password hash at sign-in:
	// changing a password signs out every other session of the account.
	sessionPassword = "pwv"
	csrfSessionKey  = "fiber.csrf.token"
	csrfFormField   = "_csrf"
	csrfHeader      = "X-CSRF-Token"
)

// Config is what New needs.
type Config struct {
	Store     *store.Store
	Redis     rueidis.Client
	Namespace string // prefixes the Redis keys: namespace+"admin:"
	// Dev relaxes cookie security (no Secure, no __Host- prefix) for plain HTTP.
	Dev bool
	// SessionTTL is how long a signed-in session lasts; default 12 hours.
	SessionTTL time.Duration
	// Menu is the admin's top navigation, EventMenu the navigation inside
	// one event (paths under /admin/events/{id}); each account sees the
	// entries its permissions allow.
	Menu, EventMenu []ui.MenuEntry
	Logger          *slog.Logger
	Now             func() time.Time
}

// Auth is the admin's accounts and access: sign-in and out, Redis-backed
// sessions, CSRF, the login throttle and the one permission check.
type Auth struct {
	cfg      Config
	log      *slog.Logger
	sessions *session.Store
	csrf     fiber.Handler
	throttle *throttle
}

// New builds the admin's access layer.
func New(cfg Config) *Auth {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	a := &Auth{cfg: cfg, log: cfg.Logger.With("component", "admin")}
	secure := !cfg.Dev
	sessionCookie, csrfCookie := "bc_admin", "bc_csrf"
	if secure {
		// __Host- cookies must be Secure, Path=/ and carry no Domain.
		sessionCookie, csrfCookie = "__Host-bc_admin", "__Host-bc_csrf"
	}
	a.sessions = session.New(session.Config{
		Storage:        NewRedisStorage(cfg.Redis, cfg.Namespace+"admin:session:"),
		Expiration:     cfg.SessionTTL,
		KeyLookup:      "cookie:" + sessionCookie,
		CookiePath:     "/",
		CookieSecure:   secure,
		CookieHTTPOnly: true,
		CookieSameSite: "Lax",
		KeyGenerator:   utils.UUIDv4,
	})
	a.csrf = csrf.New(csrf.Config{
		// A GET without a session gets no token (and so no Redis session)
		// unless it is the login page: Guard sends it there anyway.
		Next: func(c *fiber.Ctx) bool {
			safe := c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead
			return safe && c.Path() != "/admin/login" && c.Cookies(sessionCookie) == ""
		},
		Session:        a.sessions,
		SessionKey:     csrfSessionKey,
		CookieName:     csrfCookie,
		CookiePath:     "/",
		CookieSecure:   secure,
		CookieHTTPOnly: true,
		CookieSameSite: "Lax",
		Expiration:     cfg.SessionTTL,
		ContextKey:     localCSRF,
		Extractor:      csrfFromHeaderOrForm,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			a.log.Info("csrf rejected", "path", c.Path(), "err", err)
			return ui.Forbidden("This form has expired or was not sent from this site. Go back, reload the page and try again.")
		},
	})
	a.throttle = &throttle{client: cfg.Redis, prefix: cfg.Namespace + "admin:login:"}
	return a
}

// CSRF is the middleware that checks the token of every state-changing
// request under /admin (and issues one to pages with a session).
func (a *Auth) CSRF() fiber.Handler { return a.csrf }

// csrfFromHeaderOrForm reads the token from X-CSRF-Token (scripts) or the
// _csrf form field (pages).
func csrfFromHeaderOrForm(c *fiber.Ctx) (string, error) {
	if t := c.Get(csrfHeader); t != "" {
		return t, nil
	}
	if t := c.FormValue(csrfFormField); t != "" {
		return t, nil
	}
	return "", csrf.ErrTokenNotFound
}

// signedIn returns the signed-in account, or nil for anonymous requests.
func (a *Auth) signedIn(c *fiber.Ctx) (*Principal, error) {
	if p, ok := c.Locals(localPrincipal).(*Principal); ok {
		return p, nil
	}
	sess, err := a.sessions.Get(c)
	if err != nil {
		return nil, err
	}
	uid, _ := sess.Get(sessionUserID).(int64)
	if uid == 0 {
		return nil, nil
	}
	p, err := loadPrincipal(c.UserContext(), a.cfg.Store, uid)
	if err != nil || p == nil {
		return nil, err
	}
	if pv, _ := sess.Get(sessionPassword).(string); pv != passwordVersion(p.User.PasswordHash) {
		return nil, nil // the password changed since this session signed in
	}
	c.Locals(localPrincipal, p)
	return p, nil
}

// Guard is the one permission check every /admin route but sign-in and
// sign-out passes through. Anonymous GETs go to the login page; other
// anonymous requests get 403. "event:" permissions are checked against the
// {event} route parameter.
func (a *Auth) Guard(perm string, h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := a.signedIn(c)
		if err != nil {
			return err
		}
		if p == nil {
			if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
				return c.Redirect("/admin/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
			}
			return ui.Forbidden("Sign in first.")
		}
		var eventID int64
		if strings.HasPrefix(perm, "event:") {
			if eventID, err = ui.IDParam(c, "event", "event"); err != nil {
				return err
			}
		}
		if !p.Can(perm, eventID) {
			return ui.Forbidden("You do not have permission to do this.")
		}
		return h(c)
	}
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

// Flash keeps a message for the next page the account sees.
func (a *Auth) Flash(c *fiber.Ctx, msg string) {
	sess, err := a.sessions.Get(c)
	if err != nil {
		return
	}
	if old, _ := sess.Get(sessionFlash).(string); old != "" {
		msg = old + "\n" + msg
	}
	sess.Set(sessionFlash, msg)
	if err := sess.Save(); err != nil {
		a.log.Warn("admin: save flash", "err", err)
	}
}

// popFlash returns and clears the pending messages.
func (a *Auth) popFlash(c *fiber.Ctx) []string {
	sess, err := a.sessions.Get(c)
	if err != nil {
		return nil
	}
	msg, _ := sess.Get(sessionFlash).(string)
	if msg == "" {
		return nil
	}
	sess.Delete(sessionFlash)
	if err := sess.Save(); err != nil {
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
