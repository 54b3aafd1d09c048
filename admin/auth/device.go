package auth

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device
// Cookies"): a browser that signed in to an account gets a signed cookie
// naming that account. Its sign-in attempts are then counted against its
// own allowance, not against the account's lock-out nor its address's
// limit, so someone guessing at an account from elsewhere, or flooding the
// venue's shared address, cannot keep its owner out. A device that fails
// too often itself falls back to being an unknown client.

// deviceTTL is how long a device cookie names its browser.
const deviceTTL = 180 * 24 * time.Hour

type deviceClaim struct {
	Email string `json:"e"` // lowercased
	Nonce string `json:"n"` // names the device in the throttle
	Exp   int64  `json:"x"` // unix seconds
}

// issueDevice sets the device cookie for email.
func (a *Auth) issueDevice(c *fiber.Ctx, email string) {
	exp := a.cfg.Now().Add(deviceTTL)
	b, _ := json.Marshal(deviceClaim{Email: strings.ToLower(email), Nonce: newToken(16), Exp: exp.Unix()})
	a.setCookie(c, a.cookies.device, a.signed(purposeDevice, b), exp)
}

// deviceFor returns the nonce of the request's device cookie when it is
// valid and names email, else "".
func (a *Auth) deviceFor(c *fiber.Ctx, email string) string {
	var d deviceClaim
	if !a.verified(purposeDevice, c.Cookies(a.cookies.device), &d) {
		return ""
	}
	if d.Email != strings.ToLower(strings.TrimSpace(email)) || a.cfg.Now().Unix() > d.Exp || !validToken(d.Nonce, 16) {
		return ""
	}
	return d.Nonce
}

// signed returns payload and its MAC for purpose, as one cookie value.
func (a *Auth) signed(purpose string, payload []byte) string {
	mac := a.cfg.Keys.Sign(purpose, payload)
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(mac)
}

// verified checks a value made by signed and decodes its payload into v.
func (a *Auth) verified(purpose, value string, v any) bool {
	p64, mac64, ok := strings.Cut(value, ".")
	if !ok || len(value) > 1024 {
		return false
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p64)
	mac, err2 := base64.RawURLEncoding.DecodeString(mac64)
	if err1 != nil || err2 != nil || !a.cfg.Keys.Verify(purpose, payload, mac) {
		return false
	}
	return json.Unmarshal(payload, v) == nil
}
