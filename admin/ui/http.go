package ui

import (
	"embed"
	"mime"
	"path"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/models"
)

// Headers sets the security headers of every admin answer: never cached,
// never framed, scripts and styles from the admin itself only. Fiber's
// CSRF check compares the Referer with the host on HTTPS, so admin pages
// send it to their own origin.
func Headers(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set(fiber.HeaderReferrerPolicy, "same-origin")
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	return c.Next()
}

//go:embed static/admin.css static/admin.js
var staticFiles embed.FS

// Static serves the admin's own stylesheet and script at
// /admin/static/:file (public: the sign-in page needs them).
func Static(c *fiber.Ctx) error {
	name := c.Params("file")
	if name != "admin.css" && name != "admin.js" {
		return models.NotFound("file", name)
	}
	b, err := staticFiles.ReadFile("static/" + name)
	if err != nil {
		return models.NotFound("file", name)
	}
	c.Set(fiber.HeaderContentType, mime.TypeByExtension(path.Ext(name)))
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	return c.Send(b)
}

// IDParam reads the positive integer route parameter name; anything else
// names no what (models.NotFound).
func IDParam(c *fiber.Ctx, name, what string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, models.NotFound(what, nil)
	}
	return id, nil
}

// Redirect answers a POST with 303 See Other.
func Redirect(c *fiber.Ctx, to string) error { return c.Redirect(to, fiber.StatusSeeOther) }

// BackTo returns the form's "return" path when it stays in the admin, else def.
func BackTo(c *fiber.Ctx, def string) string {
	if r := c.FormValue("return"); strings.HasPrefix(r, "/admin/") && !strings.HasPrefix(r, "//") && !strings.ContainsAny(r, "\\\r\n") {
		return r
	}
	return def
}

// Forbidden is a 403 with a message for the user.
func Forbidden(msg string) error { return fiber.NewError(fiber.StatusForbidden, msg) }
