package app

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/models"
)

// Embedding (docs/API.md, "The wall"): an event may list the sites whose
// pages frame its wall, live page and overlay. Those pages then carry
// frame-ancestors with exactly that list (and no X-Frame-Options, which
// cannot name origins); every other page, and these pages of an event that
// lists none, keep frame-ancestors 'none' and X-Frame-Options DENY.

// EmbedOrigins parses an event's list (one origin per line, or separated
// by spaces or commas) into origins fit for frame-ancestors: http(s), a
// host, no path, query or wildcard. Entries that are not are dropped (the
// admin's form refuses them; see ValidEmbedOrigin).
func EmbedOrigins(list string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == '\n' || r == '\r' || r == ' ' || r == ',' }) {
		if o, ok := ValidEmbedOrigin(f); ok {
			out = append(out, o)
		}
	}
	return out
}

// ValidEmbedOrigin returns s as an origin ("https://example.org",
// "https://example.org:8443") and whether it is one.
func ValidEmbedOrigin(s string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(u.Host, "*;'\" ") {
		return "", false
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), true
}

// frameable lets the event's listed sites frame this page.
func frameable(c *fiber.Ctx, ev *models.Event) {
	origins := EmbedOrigins(ev.EmbedOrigins)
	if len(origins) == 0 {
		return
	}
	c.Response().Header.Del(fiber.HeaderXFrameOptions)
	c.Set(fiber.HeaderContentSecurityPolicy, strings.Replace(contentSecurityPolicy,
		"frame-ancestors 'none'", "frame-ancestors "+strings.Join(origins, " "), 1))
}
