package views

import (
	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
)

// Render writes a component as an HTML answer with the given status.
func Render(c *fiber.Ctx, status int, comp templ.Component) error {
	c.Status(status)
	c.Type("html", "utf-8")
	return comp.Render(c.UserContext(), c.Response().BodyWriter())
}

// RenderError writes the HTML error page. Its signature matches
// httperr.HTMLRenderer, so the wiring can pass it to httperr.Handler.
func RenderError(c *fiber.Ctx, status int, message string) error {
	return Render(c, status, ErrorPage(status, message))
}
