package app

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/models"
)

// frameable lets the event's listed sites (models.Event.FrameAncestors)
// frame this page (the wall, the live page, the overlay): frame-ancestors
// names exactly them, and X-Frame-Options, which cannot name origins, is
// dropped. Every other page, and these pages of an event that lists none,
// keep frame-ancestors 'none' and X-Frame-Options DENY.
func frameable(c *fiber.Ctx, ev *models.Event) {
	origins := ev.FrameAncestors()
	if len(origins) == 0 {
		return
	}
	c.Response().Header.Del(fiber.HeaderXFrameOptions)
	c.Set(fiber.HeaderContentSecurityPolicy, strings.Replace(contentSecurityPolicy,
		"frame-ancestors 'none'", "frame-ancestors "+strings.Join(origins, " "), 1))
}
