package admin

import (
	"embed"
	"mime"
	"path"

	"github.com/gofiber/fiber/v2"
)

//go:embed static/admin.css static/admin.js
var staticFiles embed.FS

// static serves the admin's own stylesheet and script (public: the login
// page needs them).
func (s *server) static(c *fiber.Ctx) error {
	name := c.Params("file")
	if name != "admin.css" && name != "admin.js" {
		return fiber.ErrNotFound
	}
	b, err := staticFiles.ReadFile("static/" + name)
	if err != nil {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, mime.TypeByExtension(path.Ext(name)))
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	return c.Send(b)
}
