package admin

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/internal/web"
)

// render writes a component as an HTML answer with the given status. Admin
// pages are never cached and never framed.
func render(c *fiber.Ctx, status int, comp templ.Component) error {
	c.Status(status)
	c.Type("html", "utf-8")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	// Fiber's CSRF check compares the Referer with the host on HTTPS, so
	// admin pages must send it to their own origin.
	c.Set(fiber.HeaderReferrerPolicy, "same-origin")
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	return comp.Render(c.UserContext(), c.Response().BodyWriter())
}

func classify(err error) (int, string) {
	var fe *fiber.Error
	if errors.As(err, &fe) && fe.Code == fiber.StatusNotFound && strings.HasPrefix(fe.Message, "Cannot ") {
		return fiber.StatusNotFound, "There is no such page."
	}
	return web.Classify(err)
}

// principal returns the signed-in account, or nil for anonymous requests.
func (s *server) principal(c *fiber.Ctx) (*Principal, error) {
	if p, ok := c.Locals(localPrincipal).(*Principal); ok {
		return p, nil
	}
	sess, err := s.store.Get(c)
	if err != nil {
		return nil, err
	}
	uid, _ := sess.Get(sessionUserID).(int64)
	if uid == 0 {
		return nil, nil
	}
	p, err := loadPrincipal(c.UserContext(), s.d.DB, uid)
	if err != nil || p == nil {
		return nil, err
	}
	if pv, _ := sess.Get(sessionPassword).(string); pv != passwordVersion(p.User.PasswordHash) {
		return nil, nil // the password changed since this session signed in
	}
	c.Locals(localPrincipal, p)
	return p, nil
}

// guard is the one permission check every /admin route passes through.
// Anonymous GETs go to the login page; other anonymous requests get 403.
// "event:" permissions are checked against the {event} route parameter.
func (s *server) guard(perm string, h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := s.principal(c)
		if err != nil {
			return err
		}
		if p == nil {
			if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
				return c.Redirect("/admin/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
			}
			return s.fail(c, fiber.StatusForbidden, "Sign in first.")
		}
		var eventID int64
		if strings.HasPrefix(perm, "event:") {
			eventID, err = strconv.ParseInt(c.Params("event"), 10, 64)
			if err != nil || eventID <= 0 {
				return s.fail(c, fiber.StatusNotFound, "There is no such event.")
			}
		}
		if !p.Can(perm, eventID) {
			return s.fail(c, fiber.StatusForbidden, "You do not have permission to do this.")
		}
		return h(c)
	}
}

// mustPrincipal returns the principal guard has loaded.
func mustPrincipal(c *fiber.Ctx) *Principal {
	p, _ := c.Locals(localPrincipal).(*Principal)
	return p
}

// actor names the signed-in user for the audit log.
func actor(c *fiber.Ctx) Actor {
	p := mustPrincipal(c)
	if p == nil {
		return Actor{Name: "anonymous"}
	}
	return Actor{UserID: p.User.ID, Name: p.User.Email}
}

// eventParam returns the {event} route parameter (guard has validated it).
func eventParam(c *fiber.Ctx) int64 {
	id, _ := strconv.ParseInt(c.Params("event"), 10, 64)
	return id
}

// idParam returns the {id} route parameter, or a 404 error.
func idParam(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, fiber.NewError(fiber.StatusNotFound, "There is no such object.")
	}
	return id, nil
}

// flash keeps a message for the next page the user sees.
func (s *server) flash(c *fiber.Ctx, msg string) {
	sess, err := s.store.Get(c)
	if err != nil {
		return
	}
	old, _ := sess.Get(sessionFlash).(string)
	if old != "" {
		msg = old + "\n" + msg
	}
	sess.Set(sessionFlash, msg)
	if err := sess.Save(); err != nil {
		s.log.Warn("admin: save flash", "err", err)
	}
}

// popFlash returns and clears the pending messages.
func (s *server) popFlash(c *fiber.Ctx) []string {
	sess, err := s.store.Get(c)
	if err != nil {
		return nil
	}
	msg, _ := sess.Get(sessionFlash).(string)
	if msg == "" {
		return nil
	}
	sess.Delete(sessionFlash)
	if err := sess.Save(); err != nil {
		s.log.Warn("admin: clear flash", "err", err)
	}
	return strings.Split(msg, "\n")
}

// safeNext keeps post-login redirects inside the admin.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/admin") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(next, "/admin/login") || strings.HasPrefix(next, "/admin/logout") {
		return "/admin/"
	}
	return next
}

// redirect answers a POST with 303 See Other.
func redirect(c *fiber.Ctx, to string) error { return c.Redirect(to, fiber.StatusSeeOther) }

// fmtForbidden is a 403 with a message for the user.
func fmtForbidden(msg string) error { return fiber.NewError(fiber.StatusForbidden, msg) }
