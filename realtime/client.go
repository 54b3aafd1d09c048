package realtime

import (
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/gofiber/fiber/v2"
)

// ClientCookie is the cookie that names a browser for per-client limits.
// It carries no authority: a client that drops it gets a new one and falls
// under its address's (generous) ceiling instead.
const ClientCookie = "bc_client"

// clientIDLen is the length of an encoded id: 16 random bytes, base64url.
const clientIDLen = 22

// clientCookieAge is how long a browser keeps its id.
const clientCookieAge = 365 * 24 * time.Hour

// ClientID returns the id of the requesting browser, issuing a new cookie
// (random, HttpOnly, SameSite=Lax, Secure when secure) when it has none or a
// malformed one.
func ClientID(c *fiber.Ctx, secure bool) string {
	if id := c.Cookies(ClientCookie); validClientID(id) {
		return id
	}
	id := NewClientID()
	c.Cookie(&fiber.Cookie{
		Name:     ClientCookie,
		Value:    id,
		Path:     "/",
		MaxAge:   int(clientCookieAge / time.Second),
		HTTPOnly: true,
		Secure:   secure,
		SameSite: fiber.CookieSameSiteLaxMode,
	})
	return id
}

// NewClientID returns a fresh random client id.
func NewClientID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ValidClientID reports whether s is a client id as NewClientID makes them.
func ValidClientID(s string) bool { return validClientID(s) }

func validClientID(s string) bool {
	if len(s) != clientIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
