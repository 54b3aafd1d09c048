package archive

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"

	"github.com/gofiber/fiber/v2"
)

//go:embed archive.css
var css []byte

var cssHash = func() string {
	h := sha256.Sum256(css)
	return hex.EncodeToString(h[:6])
}()

// CSSPath is where ServeCSS is mounted.
const CSSPath = "/archive-static/archive.css"

// CSSURL is the archive stylesheet's cache-busted URL.
func CSSURL() string { return CSSPath + "?v=" + cssHash }

// ServeCSS answers CSSPath; a request carrying the current hash may be cached for a year.
func ServeCSS(c *fiber.Ctx) error {
	c.Type("css", "utf-8")
	if c.Query("v") == cssHash {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	}
	return c.Send(css)
}
