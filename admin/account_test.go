package admin

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/models"
)

// clock is a test's time, moved by hand; the admin reads it through Deps.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func withClock(ck *clock) func(*Deps) { return func(d *Deps) { d.Now = ck.now } }

// redisKeys lists the keys under the test's namespace matching pattern.
func (e *env) redisKeys(pattern string) []string {
	e.t.Helper()
	keys, err := e.rdb.Client.Do(context.Background(), e.rdb.Client.B().Keys().Pattern(e.rdb.Namespace+pattern).Build()).AsStrSlice()
	if err != nil {
		e.t.Fatal(err)
	}
	return keys
}

func (e *env) securityKinds(userID int64) map[string]int {
	e.t.Helper()
	var rows []models.SecurityEvent
	q := e.db.Order("id")
	if userID != 0 {
		q = q.Where("user_id = ?", userID)
	}
	if err := q.Find(&rows).Error; err != nil {
		e.t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Kind]++
	}
	return out
}

func TestAnonymousVisitorsLeaveNoKeyInRedis(t *testing.T) {
	e := newEnv(t)
	for i := 0; i < 200; i++ {
		c := e.client()
		switch i % 4 {
		case 1: // a session cookie naming nothing
			c.cookies["bc_admin"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		case 2: // a malformed one
			c.cookies["bc_admin"] = "garbage"
		case 3: // a login nonce of its own
			c.cookies["bc_login"] = "AAAAAAAAAAAAAAAAAAAAAA"
		}
		for _, path := range []string{"/admin/login", "/admin/login?next=/admin/events", "/admin/", "/admin/events", "/admin/login/two-factor"} {
			resp := c.do("GET", path, nil)
			resp.Body.Close()
			if resp.StatusCode >= 400 {
				t.Fatalf("anonymous GET %s: %d", path, resp.StatusCode)
			}
		}
	}
	if keys := e.redisKeys("*"); len(keys) != 0 {
		t.Fatalf("800 anonymous GETs left %d keys in Redis, e.g. %v", len(keys), keys[:min(5, len(keys))])
	}
}

func TestTheSignInFormsTokenIsBoundToItsBrowserAndExpires(t *testing.T) {
	ck := &clock{t: time.Now()}
	e := newEnv(t, withClock(ck))
	a, b := e.client(), e.client()
	tokA := a.token()
	b.token() // b has a nonce cookie of its own
	form := func(tok string) url.Values {
		return url.Values{"_csrf": {tok}, "email": {e.super.Email}, "password": {testPassword}}
	}
	if resp := b.do("POST", "/admin/login", form(tokA)); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("another browser's sign-in token: %d; want 403", resp.StatusCode)
	}
	if resp := a.do("POST", "/admin/login", form(tokA+"x")); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a tampered sign-in token: %d; want 403", resp.StatusCode)
	}
	ck.add(3 * time.Hour)
	if resp := a.do("POST", "/admin/login", form(tokA)); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a sign-in token three hours old: %d; want 403", resp.StatusCode)
	}
	if resp := a.do("POST", "/admin/login", form(a.token())); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a fresh token: %d; want 303", resp.StatusCode)
	}
	if n := e.securityKinds(0)[auth.SecForbidden]; n != 3 {
		t.Fatalf("%d refused sign-in posts in the security log; want 3", n)
	}
}

func TestSessionsEndWhenIdleAndAtTheirAbsoluteLifetime(t *testing.T) {
	ck := &clock{t: time.Now()}
	e := newEnv(t, withClock(ck), func(d *Deps) { d.SessionIdle, d.SessionMax = 30*time.Minute, 2*time.Hour })
	c := e.client()
	c.login(e.super.Email)
	keys := e.redisKeys("admin:s:*")
	if len(keys) != 1 {
		t.Fatalf("%d session keys after one sign-in", len(keys))
	}
	ttl, _ := e.rdb.Client.Do(context.Background(), e.rdb.Client.B().Pttl().Key(keys[0]).Build()).AsInt64()
	if ttl <= 0 || ttl > (30*time.Minute).Milliseconds() {
		t.Fatalf("session key expires in %d ms; want within the 30-minute idle timeout", ttl)
	}
	// Used every 20 minutes it lives on, up to its absolute lifetime.
	for i := 0; i < 5; i++ {
		ck.add(20 * time.Minute)
		if resp, _ := c.get("/admin/"); resp.StatusCode != 200 {
			t.Fatalf("after %d minutes of use: %d; want 200", 20*(i+1), resp.StatusCode)
		}
	}
	ck.add(20 * time.Minute) // 2 hours since sign-in
	if resp := c.do("GET", "/admin/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("at the absolute lifetime: %d; want 303 to sign in", resp.StatusCode)
	}
	// Idle: a new session unused for 30 minutes is gone.
	c.login(e.super.Email)
	ck.add(31 * time.Minute)
	if resp := c.do("GET", "/admin/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("after 31 idle minutes: %d; want 303 to sign in", resp.StatusCode)
	}
}

var sessionEnd = regexp.MustCompile(`action="(/admin/account/sessions/[0-9a-f]{64}/end)"`)

func TestAnAccountSeesItsSessionsAndEndsThem(t *testing.T) {
	e := newEnv(t)
	phone, laptop := e.client(), e.client()
	phone.ua = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
	laptop.ua = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	phone.ip = "198.51.100.7"
	phone.login(e.super.Email)
	laptop.login(e.super.Email)
	_, body := laptop.get("/admin/account")
	for _, want := range []string{"Chrome on Android", "Firefox on Linux", "198.51.100.7", "this one"} {
		if !strings.Contains(body, want) {
			t.Errorf("the account page does not show %q", want)
		}
	}
	ends := sessionEnd.FindAllStringSubmatch(body, -1)
	if len(ends) != 2 {
		t.Fatalf("%d sessions listed; want 2", len(ends))
	}
	// The other session (listed first: newest first, this one is newest).
	resp, _ := laptop.post(ends[1][1], nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("end a session: %d", resp.StatusCode)
	}
	if resp := phone.do("GET", "/admin/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the ended session: %d; want 303 to sign in", resp.StatusCode)
	}
	if resp, _ := laptop.get("/admin/"); resp.StatusCode != 200 {
		t.Fatalf("the session that ended the other: %d", resp.StatusCode)
	}
	// Another account cannot end this one's session.
	other := e.user("other@example.org", false)
	oc := e.client()
	oc.login(other.Email)
	_, body = laptop.get("/admin/account")
	mine := sessionEnd.FindStringSubmatch(body)[1]
	if resp, _ := oc.post(mine, nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another account ending this session: %d; want 404", resp.StatusCode)
	}
	phone.login(e.super.Email)
	if resp, _ := laptop.post("/admin/account/sessions/end-others", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("end every other session: %d", resp.StatusCode)
	}
	if resp := phone.do("GET", "/admin/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatal("end every other session left one")
	}
	if k := e.securityKinds(e.super.ID); k[auth.SecSessionEnded] != 2 || k[auth.SecSignIn] != 3 {
		t.Fatalf("security log of the account: %v; want 3 sign-ins and 2 ended sessions", k)
	}
}

func TestAnEmailChangeIsAuditedShownAndEndsOtherSessions(t *testing.T) {
	e := newEnv(t)
	a, b := e.client(), e.client()
	a.login(e.super.Email)
	b.login(e.super.Email)
	resp, body := a.post("/admin/account/email", url.Values{"email": {"root2@example.org"}, "current": {"wrong password!"}})
	if resp.StatusCode != 422 || fieldError(body, "current") == "" {
		t.Fatalf("email change with a wrong password: %d", resp.StatusCode)
	}
	before := a.cookies["bc_admin"]
	resp, _ = a.post("/admin/account/email", url.Values{"email": {"root2@example.org"}, "current": {testPassword}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("email change: %d", resp.StatusCode)
	}
	if a.cookies["bc_admin"] == before {
		t.Fatal("the session that changed the email kept its id")
	}
	if resp := b.do("GET", "/admin/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("another session after the email change: %d; want 303 to sign in", resp.StatusCode)
	}
	_, body = a.get("/admin/account")
	if !strings.Contains(body, "root2@example.org") || strings.Contains(body, `data-testid="email-changed">not since`) {
		t.Fatal("the account page does not show the new email and when it changed")
	}
	var audit models.AuditEntry
	if err := e.db.Where("object_type = 'user' AND object_id = ? AND message = 'email changed'", id(e.super.ID)).Take(&audit).Error; err != nil {
		t.Fatalf("email change not audited: %v", err)
	}
	if !strings.Contains(string(audit.Before), "root@example.org") || !strings.Contains(string(audit.After), "root2@example.org") {
		t.Fatalf("audit row does not name both addresses: %s → %s", audit.Before, audit.After)
	}
}

func TestAPasswordChangeShowsOnTheAccountAndEndsSessionsWhoeverMadeIt(t *testing.T) {
	e := newEnv(t)
	mod := e.user("mod@example.org", false)
	mc := e.client()
	mc.login(mod.Email)
	_, body := mc.get("/admin/account")
	if !strings.Contains(body, `data-testid="password-changed">not since`) {
		t.Fatal("a fresh account's page claims a password change")
	}
	// A superuser resets the moderator's password in the Users admin: the
	// moderator's session ends.
	su := e.client()
	su.login(e.super.Email)
	resp, body := su.post("/admin/users/"+id(mod.ID), url.Values{"email": {mod.Email}, "password": {"a reset password here"}, "is_active": {"on"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d %s", resp.StatusCode, body)
	}
	if resp := mc.do("GET", "/admin/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the moderator's session after a reset: %d; want 303 to sign in", resp.StatusCode)
	}
	var u models.User
	e.db.Take(&u, mod.ID)
	if u.PasswordChangedAt == nil {
		t.Fatal("password_changed_at not set by the reset")
	}
	if e.securityKinds(mod.ID)[auth.SecSessionEnded] != 1 {
		t.Fatal("the ended session is not in the security log")
	}
}

var secretField = regexp.MustCompile(`data-testid="totp-secret">([A-Z2-7]+)<`)
var recoveryCode = regexp.MustCompile(`<code>([a-z0-9]{5}-[a-z0-9]{5})</code>`)

// enableTOTP turns the second factor on for c's account and returns the
// secret and the recovery codes.
func enableTOTP(t *testing.T, c *client, ck *clock) (string, []string) {
	t.Helper()
	_, body := c.get("/admin/account/two-factor")
	m := secretField.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no secret offered")
	}
	code, _ := totp.GenerateCode(m[1], ck.now())
	resp, body := c.post("/admin/account/two-factor/enable", url.Values{"code": {code}})
	if resp.StatusCode != 200 {
		t.Fatalf("enable: %d", resp.StatusCode)
	}
	var codes []string
	for _, rc := range recoveryCode.FindAllStringSubmatch(body, -1) {
		codes = append(codes, rc[1])
	}
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown; want 10", len(codes))
	}
	return m[1], codes
}

func TestTwoFactorSignInWithTheAppAndWithRecoveryCodes(t *testing.T) {
	ck := &clock{t: time.Now()}
	e := newEnv(t, withClock(ck))
	c := e.client()
	c.login(e.super.Email)
	secret, codes := enableTOTP(t, c, ck)
	var u models.User
	e.db.Take(&u, e.super.ID)
	if u.TOTPEnabledAt == nil || len(u.TOTPSecret) == 0 || strings.Contains(string(u.TOTPSecret), secret) {
		t.Fatal("the secret is not stored, or not sealed")
	}
	var hashes []string
	e.db.Raw("SELECT code_hash FROM recovery_codes WHERE user_id = ?", u.ID).Scan(&hashes)
	for _, h := range hashes {
		for _, rc := range codes {
			if strings.Contains(h, rc) || strings.Contains(h, strings.ReplaceAll(rc, "-", "")) {
				t.Fatal("a recovery code is stored as it is")
			}
		}
	}
	if e.auditCount("update", "user", id(u.ID)) != 1 || e.securityKinds(u.ID)[auth.SecFactorOn] != 1 {
		t.Fatal("turning the second factor on is not in the audit and security logs")
	}

	// Sign in again: the password alone leads to the second step.
	ck.add(time.Minute)
	d := e.client()
	resp, _ := d.post("/admin/login", url.Values{"email": {e.super.Email}, "password": {testPassword}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/login/two-factor" {
		t.Fatalf("password of an account with a second factor: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if d.cookies["bc_admin"] != "" {
		t.Fatal("a session was created before the second factor")
	}
	if resp := d.do("GET", "/admin/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatal("the password alone signed in")
	}
	if resp, body := d.post("/admin/login/two-factor", url.Values{"code": {"000000"}}); resp.StatusCode != 401 || !strings.Contains(body, auth.BadCode) {
		t.Fatalf("a wrong code: %d", resp.StatusCode)
	}
	code, _ := totp.GenerateCode(secret, ck.now())
	if resp, _ := d.post("/admin/login/two-factor", url.Values{"code": {code}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the right code: %d", resp.StatusCode)
	}
	if resp, _ := d.get("/admin/"); resp.StatusCode != 200 {
		t.Fatalf("after the second factor: %d", resp.StatusCode)
	}
	// The same code does not work twice.
	r := e.client()
	r.post("/admin/login", url.Values{"email": {e.super.Email}, "password": {testPassword}})
	if resp, _ := r.post("/admin/login/two-factor", url.Values{"code": {code}}); resp.StatusCode != 401 {
		t.Fatalf("a code used already: %d; want 401", resp.StatusCode)
	}
	// A recovery code works once, however it is typed.
	rc := strings.ToUpper(strings.ReplaceAll(codes[3], "-", " "))
	if resp, _ := r.post("/admin/login/two-factor", url.Values{"code": {rc}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a recovery code: %d", resp.StatusCode)
	}
	r2 := e.client()
	r2.post("/admin/login", url.Values{"email": {e.super.Email}, "password": {testPassword}})
	if resp, _ := r2.post("/admin/login/two-factor", url.Values{"code": {codes[3]}}); resp.StatusCode != 401 {
		t.Fatalf("a recovery code used already: %d; want 401", resp.StatusCode)
	}
	k := e.securityKinds(u.ID)
	if k[auth.SecRecoveryUsed] != 1 || k[auth.SecFactorFailed] != 3 || k[auth.SecSignIn] != 3 {
		t.Fatalf("security log: %v", k)
	}
	// The step expires: a pending second factor older than five minutes.
	late := e.client()
	late.post("/admin/login", url.Values{"email": {e.super.Email}, "password": {testPassword}})
	ck.add(6 * time.Minute)
	code, _ = totp.GenerateCode(secret, ck.now())
	if resp, _ := late.post("/admin/login/two-factor", url.Values{"code": {code}}); resp.StatusCode != 401 {
		t.Fatalf("a second factor after six minutes: %d; want 401 (start again)", resp.StatusCode)
	}
	// Turning it off takes the password and a code.
	ck.add(time.Minute)
	code, _ = totp.GenerateCode(secret, ck.now())
	if resp, _ := d.post("/admin/account/two-factor/disable", url.Values{"current": {"nope nope nope"}, "code": {code}}); resp.StatusCode != 422 {
		t.Fatalf("turn off with a wrong password: %d", resp.StatusCode)
	}
	if resp, _ := d.post("/admin/account/two-factor/disable", url.Values{"current": {testPassword}, "code": {code}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("turn off: %d", resp.StatusCode)
	}
	if e.securityKinds(u.ID)[auth.SecFactorOff] != 1 {
		t.Fatal("turning it off is not in the security log")
	}
}

func TestSecondFactorCodesAreLimitedPerAccount(t *testing.T) {
	ck := &clock{t: time.Now()}
	e := newEnv(t, withClock(ck))
	c := e.client()
	c.login(e.super.Email)
	secret, _ := enableTOTP(t, c, ck)
	ck.add(time.Minute)
	d := e.client()
	d.post("/admin/login", url.Values{"email": {e.super.Email}, "password": {testPassword}})
	for i := 0; i < auth.SecondFactorLimit; i++ {
		d.post("/admin/login/two-factor", url.Values{"code": {"123456"}})
	}
	code, _ := totp.GenerateCode(secret, ck.now())
	if resp, _ := d.post("/admin/login/two-factor", url.Values{"code": {code}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after %d wrong codes: %d; want 429", auth.SecondFactorLimit, resp.StatusCode)
	}
}

func TestASuperuserCanRequireTwoFactorForEveryone(t *testing.T) {
	ck := &clock{t: time.Now()}
	e := newEnv(t, withClock(ck))
	org := e.user("org@example.org", false)
	e.role(org, e.evA, models.RoleOrganizer)
	su := e.client()
	su.login(e.super.Email)
	if resp, _ := su.post("/admin/security/two-factor", url.Values{"require": {"on"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("require: %d", resp.StatusCode)
	}
	if e.auditCount("update", "setting", "require_two_factor") != 1 {
		t.Fatal("the requirement is not audited")
	}
	// A signed-in account without a second factor must set one up now.
	if resp := su.do("GET", "/admin/events", nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/account/two-factor" {
		t.Fatalf("superuser without a second factor: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	oc := e.client()
	oc.login(org.Email)
	resp := oc.do("GET", "/admin/events/"+id(e.evA.ID), nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/account/two-factor" {
		t.Fatalf("organizer without a second factor: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	tok := oc.csrf("/admin/account/two-factor")
	if resp := oc.do("POST", "/admin/events/"+id(e.evA.ID)+"/rules/new", url.Values{"_csrf": {tok}, "kind": {"word"}, "value": {"x"}}); resp.StatusCode != 403 {
		t.Fatalf("a change before setting it up: %d; want 403", resp.StatusCode)
	}
	_, body := oc.get("/admin/account/two-factor")
	if !strings.Contains(body, `data-testid="factor-required"`) {
		t.Fatal("the set-up page does not say it is required")
	}
	enableTOTP(t, oc, ck)
	if resp, _ := oc.get("/admin/events/" + id(e.evA.ID)); resp.StatusCode != 200 {
		t.Fatalf("after setting it up: %d", resp.StatusCode)
	}
	// It cannot be turned off while required.
	ck.add(time.Minute)
	if resp, _ := oc.post("/admin/account/two-factor/disable", url.Values{"current": {testPassword}, "code": {"000000"}}); resp.StatusCode != 422 {
		t.Fatalf("turning it off while required: %d; want 422", resp.StatusCode)
	}
}

func TestADeviceThatSignedInBeforeGetsInDuringALockout(t *testing.T) {
	e := newEnv(t)
	owner := e.client()
	owner.login(e.super.Email)
	owner.post("/admin/logout", nil)
	if owner.cookies["bc_device"] == "" {
		t.Fatal("no device cookie after a sign-in")
	}
	// Someone guesses from the same venue address until the account and
	// the address are locked for unknown clients.
	attacker := e.client()
	for i := 0; i < auth.LoginAddressLimit+2; i++ {
		attacker.post("/admin/login", url.Values{"email": {e.super.Email}, "password": {"guess number " + id(int64(i))}})
	}
	if resp, _ := attacker.post("/admin/login", url.Values{"email": {e.super.Email}, "password": {testPassword}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("an unknown client during the lockout: %d; want 429", resp.StatusCode)
	}
	fresh := e.client()
	fresh.ip = "203.0.113.9"
	if resp, _ := fresh.post("/admin/login", url.Values{"email": {e.super.Email}, "password": {testPassword}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("an unknown client elsewhere during the account lockout: %d; want 429", resp.StatusCode)
	}
	// The owner's browser, same address, right password: in.
	owner.login(e.super.Email)
	// A device cookie is bound to its account: another account's lockout
	// is not lifted by it.
	owner.post("/admin/logout", nil)
	other := e.user("other@example.org", true)
	for i := 0; i < auth.LoginAccountLimit; i++ {
		e.client().post("/admin/login", url.Values{"email": {other.Email}, "password": {"wrong wrong wrong"}})
	}
	if resp, _ := owner.post("/admin/login", url.Values{"email": {other.Email}, "password": {testPassword}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a device cookie of another account during a lockout: %d; want 429", resp.StatusCode)
	}
	// A forged device cookie is no device.
	forged := e.client()
	forged.ip = "203.0.113.10"
	forged.cookies["bc_device"] = strings.Replace(owner.cookies["bc_device"], "e", "f", 1)
	if resp, _ := forged.post("/admin/login", url.Values{"email": {e.super.Email}, "password": {testPassword}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a forged device cookie during the lockout: %d; want 429", resp.StatusCode)
	}
}

func TestADeviceThatFailsTooOftenIsAnUnknownClientAgain(t *testing.T) {
	e := newEnv(t)
	dev := e.client()
	dev.login(e.super.Email)
	dev.post("/admin/logout", nil)
	for i := 0; i < auth.LoginDeviceLimit; i++ {
		if resp, _ := dev.post("/admin/login", url.Values{"email": {e.super.Email}, "password": {"wrong wrong wrong"}}); resp.StatusCode != 401 {
			t.Fatalf("device failure %d: %d", i+1, resp.StatusCode)
		}
	}
	// Its own allowance is spent: it now counts against the account's, and
	// that lock-out applies to it like to anyone.
	for i := 0; i < auth.LoginAccountLimit; i++ {
		dev.post("/admin/login", url.Values{"email": {e.super.Email}, "password": {"wrong wrong wrong"}})
	}
	if resp, _ := dev.post("/admin/login", url.Values{"email": {e.super.Email}, "password": {testPassword}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a device past its allowance and the account's: %d; want 429", resp.StatusCode)
	}
}

func TestTheSecurityLogRecordsSignInsFailuresSignOutsAndRefusals(t *testing.T) {
	e := newEnv(t)
	mod := e.user("mod@example.org", false)
	e.role(mod, e.evA, models.RoleModerator)
	c := e.client()
	c.post("/admin/login", url.Values{"email": {mod.Email}, "password": {"not the password"}})
	c.post("/admin/login", url.Values{"email": {"ghost@example.org"}, "password": {"not the password"}})
	c.login(mod.Email)
	c.get("/admin/users")                                                                                  // permission
	c.do("POST", "/admin/events/"+id(e.evA.ID)+"/rules/new", url.Values{"kind": {"word"}, "value": {"x"}}) // no CSRF token
	c.post("/admin/logout", nil)
	k := e.securityKinds(0)
	want := map[string]int{auth.SecSignInFailed: 2, auth.SecSignIn: 1, auth.SecForbidden: 2, auth.SecSignOut: 1}
	for kind, n := range want {
		if k[kind] != n {
			t.Errorf("%d %s lines; want %d (all: %v)", k[kind], kind, n, k)
		}
	}
	su := e.client()
	su.login(e.super.Email)
	_, body := su.get("/admin/security")
	for _, s := range []string{"ghost@example.org", "sign in failed", "forbidden", "no permission system:manage: GET /admin/users", "CSRF token missing"} {
		if !strings.Contains(body, s) {
			t.Errorf("the security page does not show %q", s)
		}
	}
	_, body = su.get("/admin/security?kind=forbidden")
	if strings.Contains(body, `data-kind="sign_in"`) || !strings.Contains(body, `data-kind="forbidden"`) {
		t.Error("the kind filter does not filter")
	}
	mc := e.client()
	mc.login(mod.Email)
	if resp, _ := mc.get("/admin/security"); resp.StatusCode != 403 {
		t.Errorf("a moderator on the security page: %d; want 403", resp.StatusCode)
	}
}

func TestAnonymousSecurityLogLinesAreCappedPerAddress(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for i := 0; i < 150; i++ {
		resp := c.do("POST", "/admin/events/"+id(e.evA.ID)+"/rules/new", url.Values{"_csrf": {"forged"}})
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Fatalf("anonymous post: %d", resp.StatusCode)
		}
	}
	if n := e.securityKinds(0)[auth.SecForbidden]; n != 100 {
		t.Fatalf("%d lines from one address in an hour; want the cap of 100", n)
	}
}
