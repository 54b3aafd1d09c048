package app

import (
	"net/url"

	"github.com/gofiber/fiber/v2"
)

// crossOriginProtection refuses state-changing requests that a browser sent
// from another site, the way net/http.CrossOriginProtection does: it trusts
// Sec-Fetch-Site when the browser sends it and falls back to comparing Origin
// with Host. Requests without either header (curl, scripts) are not from a
// browser and carry no ambient credentials of a victim, so they pass. This
// covers the public JSON API (attendee posts); the admin adds token CSRF.
func crossOriginProtection() fiber.Handler {
	return func(c *fiber.Ctx) error {
		switch c.Method() {
		case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
			return c.Next()
		}
		switch c.Get("Sec-Fetch-Site") {
		case "same-origin", "none":
			return c.Next()
		case "":
		default:
			return fiber.NewError(fiber.StatusForbidden, "Cross-site requests may not change anything here.")
		}
		origin := c.Get(fiber.HeaderOrigin)
		if origin == "" {
			return c.Next()
		}
		if u, err := url.Parse(origin); err == nil && u.Host == string(c.Request().Host()) {
			return c.Next()
		}
		return fiber.NewError(fiber.StatusForbidden, "Cross-site requests may not change anything here.")
	}
}
