package admin

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/csrf"
	"github.com/gofiber/fiber/v2/middleware/session"
	"github.com/gofiber/fiber/v2/utils"
)

// Locals keys of the admin's per-request state.
const (
	localPrincipal = "admin.principal"
	localCSRF      = "admin.csrf"
	sessionUserID  = "uid"
	sessionFlash   = "flash"
	// sessionPassword holds a fingerprint of the password hash at sign-in:
	// changing a password signs out every other session of the account.
	sessionPassword = "pwv"
	csrfSessionKey  = "fiber.csrf.token"
	csrfFormField   = "_csrf"
	csrfHeader      = "X-CSRF-Token"
)

// server holds the admin's handlers and their shared state.
type server struct {
	d         Deps
	log       *slog.Logger
	store     *session.Store
	csrf      fiber.Handler
	throttle  *throttle
	resources []*Resource
}

// Mount registers every admin route under /admin (and its assets under
// /admin/static/) with the admin's own middleware: error pages, Redis-backed
// sessions, CSRF and the permission wrapper.
func Mount(app *fiber.App, d Deps) error {
	if d.DB == nil || d.Redis == nil {
		return errors.New("admin: mount: Deps.DB and Deps.Redis are required")
	}
	s := newServer(d)
	app.Get("/admin/static/:file", s.static)
	g := app.Group("/admin", s.errorPages, s.csrf)
	s.routes(g)
	return nil
}

func newServer(d Deps) *server {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.EventFiles == nil {
		d.EventFiles = DefaultEventFiles()
	}
	if d.SourceStates == nil {
		d.SourceStates = RunnerStates(d.Redis, d.Namespace, d.Now)
	}
	if d.SessionTTL <= 0 {
		d.SessionTTL = 12 * time.Hour
	}
	s := &server{d: d, log: d.Logger.With("component", "admin")}
	secure := !d.Dev
	sessionCookie, csrfCookie := "bc_admin", "bc_csrf"
	if secure {
		// __Host- cookies must be Secure, Path=/ and carry no Domain.
		sessionCookie, csrfCookie = "__Host-bc_admin", "__Host-bc_csrf"
	}
	s.store = session.New(session.Config{
		Storage:        NewRedisStorage(d.Redis, d.Namespace+"admin:session:"),
		Expiration:     d.SessionTTL,
		KeyLookup:      "cookie:" + sessionCookie,
		CookiePath:     "/",
		CookieSecure:   secure,
		CookieHTTPOnly: true,
		CookieSameSite: "Lax",
		KeyGenerator:   utils.UUIDv4,
	})
	s.csrf = csrf.New(csrf.Config{
		// A GET without a session gets no token (and so no Redis session)
		// unless it is the login page: guard sends it there anyway.
		Next: func(c *fiber.Ctx) bool {
			safe := c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead
			return safe && c.Path() != "/admin/login" && c.Cookies(sessionCookie) == ""
		},
		Session:        s.store,
		SessionKey:     csrfSessionKey,
		CookieName:     csrfCookie,
		CookiePath:     "/",
		CookieSecure:   secure,
		CookieHTTPOnly: true,
		CookieSameSite: "Lax",
		Expiration:     d.SessionTTL,
		ContextKey:     localCSRF,
		Extractor:      csrfFromHeaderOrForm,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			s.log.Info("csrf rejected", "path", c.Path(), "err", err)
			return s.fail(c, fiber.StatusForbidden,
				"This form has expired or was not sent from this site. Go back, reload the page and try again.")
		},
	})
	s.throttle = &throttle{client: d.Redis, prefix: d.Namespace + "admin:login:"}
	s.resources = s.describeResources()
	return s
}

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

// errorPages renders any error a handler returns as an admin page.
func (s *server) errorPages(c *fiber.Ctx) error {
	err := c.Next()
	if err == nil {
		return nil
	}
	status, msg := classify(err)
	if status >= 500 {
		s.log.Error("admin request failed", "method", c.Method(), "path", c.Path(), "err", err)
	}
	return s.fail(c, status, msg)
}

// fail renders the error page with status.
func (s *server) fail(c *fiber.Ctx, status int, msg string) error {
	return render(c, status, ErrorPage(s.chrome(c, fmt.Sprintf("%d", status)), status, msg))
}
