package views

import (
	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/internal/web"
)

// Render writes a component as an HTML answer with the given status.
func Render(c *fiber.Ctx, status int, comp templ.Component) error { return web.Render(c, status, comp) }

// RenderError writes the HTML error page. Its signature matches
// httperr.HTMLRenderer, so the wiring can pass it to httperr.Handler.
func RenderError(c *fiber.Ctx, status int, message string) error {
	return Render(c, status, ErrorPage(status, message))
}
