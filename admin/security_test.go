package admin

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/models"
)

var param = regexp.MustCompile(`:[a-z]+`)

// adminRoutes returns every route registered under /admin except the
// public ones (login, logout and static assets), with params filled in.
func adminRoutes(e *env, event int64) []struct{ method, path, pattern string } {
	var out []struct{ method, path, pattern string }
	seen := map[string]bool{}
	for _, r := range e.app.GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/admin") || r.Method == "HEAD" ||
			strings.HasPrefix(r.Path, "/admin/static/") || strings.HasPrefix(r.Path, "/admin/login") || r.Path == "/admin/logout" {
			continue
		}
		p := param.ReplaceAllStringFunc(r.Path, func(s string) string {
			switch s {
			case ":event":
				return strconv.FormatInt(event, 10)
			case ":action":
				return "start"
			case ":state":
				return "retry"
			case ":queue", ":task":
				return "default"
			default:
				return "1"
			}
		})
		key := r.Method + " " + p
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, struct{ method, path, pattern string }{r.Method, p, r.Path})
	}
	return out
}

func TestEveryAdminRouteRedirectsOrRejectsAnonymousUsers(t *testing.T) {
	e := newEnv(t)
	routes := adminRoutes(e, e.evA.ID)
	if len(routes) < 40 {
		t.Fatalf("only %d admin routes found", len(routes))
	}
	c := e.client()
	tok := c.token() // a valid CSRF token: the anonymous POST must fail on login, not CSRF alone
	for _, r := range routes {
		switch r.method {
		case "GET":
			resp := c.do("GET", r.path, nil)
			loc := resp.Header.Get("Location")
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/login?next=") {
				t.Errorf("anonymous GET %s (%s): %d Location %q; want 303 to /admin/login", r.path, r.pattern, resp.StatusCode, loc)
			}
		default:
			resp := c.do(r.method, r.path, url.Values{"_csrf": {tok}})
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("anonymous %s %s (%s): %d; want 403", r.method, r.path, r.pattern, resp.StatusCode)
			}
		}
	}
}

func TestModeratorOfOneEventIsForbiddenOnAnotherEventsPages(t *testing.T) {
	e := newEnv(t)
	mod := e.user("mod@example.org", false)
	e.role(mod, e.evA, models.RoleModerator)
	seq := e.item(e.evB, "1", "ana", "hello", models.ReviewApproved)
	c := e.client()
	c.login(mod.Email)
	tok := c.token()
	checked := 0
	for _, r := range adminRoutes(e, e.evB.ID) {
		if !strings.Contains(r.pattern, ":event") && !strings.HasPrefix(r.pattern, "/admin/users") &&
			!strings.HasPrefix(r.pattern, "/admin/dashboard") && !strings.HasPrefix(r.pattern, "/admin/audit") &&
			!strings.HasPrefix(r.pattern, "/admin/import") && r.pattern != "/admin/events/new" {
			continue // pages every account may see (home, events list, password)
		}
		var resp *http.Response
		if r.method == "GET" {
			resp = c.do("GET", r.path, nil)
		} else {
			resp = c.do(r.method, r.path, url.Values{"_csrf": {tok}, "ids": {id(seq)}, "decision": {"approve"}})
		}
		checked++
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("moderator of %s: %s %s (%s): %d; want 403", e.evA.Slug, r.method, r.path, r.pattern, resp.StatusCode)
		}
	}
	if checked < 30 {
		t.Fatalf("only %d routes checked", checked)
	}
	// Their own event's moderation pages work, its management pages do not.
	for path, want := range map[string]int{
		"/admin/events/" + id(e.evA.ID) + "/moderate": 200,
		"/admin/events/" + id(e.evA.ID) + "/queue":    200,
		"/admin/events/" + id(e.evA.ID) + "/rules":    200,
		"/admin/events/" + id(e.evA.ID) + "/sources":  403,
		"/admin/events/" + id(e.evA.ID):               403,
	} {
		if resp, _ := c.get(path); resp.StatusCode != want {
			t.Errorf("moderator GET %s: %d; want %d", path, resp.StatusCode, want)
		}
	}
	var hidden bool
	e.db.Raw("SELECT hidden FROM items WHERE event_id = ? AND seq = ?", e.evB.ID, seq).Scan(&hidden)
	if hidden {
		t.Fatal("a moderator of another event changed this event's item")
	}
}

func TestEventsListShowsOnlyTheUsersEvents(t *testing.T) {
	e := newEnv(t)
	org := e.user("org@example.org", false)
	e.role(org, e.evA, models.RoleOrganizer)
	c := e.client()
	c.login(org.Email)
	_, body := c.get("/admin/events")
	if !strings.Contains(body, e.evA.Title) || strings.Contains(body, e.evB.Title) {
		t.Fatalf("events list of an organizer of %s shows the wrong events", e.evA.Slug)
	}
}

func TestPostsWithoutAValidCSRFTokenAreRejected(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.login(e.super.Email)
	path := "/admin/events/" + id(e.evA.ID) + "/rules/new"
	for name, form := range map[string]url.Values{
		"missing": {"kind": {"word"}, "value": {"spam"}},
		"forged":  {"kind": {"word"}, "value": {"spam"}, "_csrf": {"00000000-0000-4000-8000-000000000000"}},
	} {
		resp := c.do("POST", path, form)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s token: %d; want 403", name, resp.StatusCode)
		}
	}
	// The header works as well as the form field.
	tok := c.token()
	resp := c.do("POST", path, url.Values{"kind": {"word"}, "value": {"spam"}}, "X-CSRF-Token", tok)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("token in header: %d; want 303", resp.StatusCode)
	}
	var n int64
	e.db.Model(&models.ModerationRule{}).Count(&n)
	if n != 1 {
		t.Fatalf("%d rules; want only the one posted with a token", n)
	}
	// A token from another browser's session is refused.
	other := e.client()
	otherTok := other.token()
	resp = c.do("POST", path, url.Values{"kind": {"word"}, "value": {"eggs"}, "_csrf": {otherTok}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("another session's token: %d; want 403", resp.StatusCode)
	}
}

func TestLoginIsThrottledAfterRepeatedFailures(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for i := 0; i < auth.LoginAccountLimit; i++ {
		resp, _ := c.post("/admin/login", url.Values{"email": {e.super.Email}, "password": {"wrong password"}})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d; want 401", i+1, resp.StatusCode)
		}
	}
	resp, body := c.post("/admin/login", url.Values{"email": {e.super.Email}, "password": {testPassword}})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after %d failures, the right password: %d; want 429", auth.LoginAccountLimit, resp.StatusCode)
	}
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra <= 0 || ra > 900 {
		t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	if !strings.Contains(body, "Too many failed sign-ins") {
		t.Fatal("429 page does not say why")
	}
	// Another account from the same address still signs in.
	other := e.user("other@example.org", true)
	c2 := e.client()
	c2.login(other.Email)
}

func TestConcurrentLoginAttemptsGetNoMoreGuessesThanTheLimit(t *testing.T) {
	e := newEnv(t)
	const tries = 3 * auth.LoginAccountLimit
	clients := make([]*client, tries)
	forms := make([]url.Values, tries)
	for i := range clients {
		clients[i] = e.client()
		forms[i] = url.Values{"email": {e.super.Email}, "password": {"wrong password"}, "_csrf": {clients[i].token()}}
	}
	codes := make(chan int, tries)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := clients[i].do("POST", "/admin/login", forms[i])
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	checked := 0
	for code := range codes {
		switch code {
		case http.StatusUnauthorized:
			checked++
		case http.StatusTooManyRequests:
		default:
			t.Fatalf("a concurrent attempt answered %d", code)
		}
	}
	if checked > auth.LoginAccountLimit {
		t.Fatalf("%d of %d concurrent attempts had their password checked; the limit is %d", checked, tries, auth.LoginAccountLimit)
	}
}

func TestLoginIsThrottledPerAddressAcrossAccounts(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for i := 0; i < auth.LoginAddressLimit; i++ {
		c.post("/admin/login", url.Values{"email": {"nobody" + strconv.Itoa(i) + "@example.org"}, "password": {"x"}})
	}
	resp, _ := c.post("/admin/login", url.Values{"email": {e.super.Email}, "password": {testPassword}})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after %d failures from one address: %d; want 429", auth.LoginAddressLimit, resp.StatusCode)
	}
}

func TestSuccessfulLoginClearsTheAccountsFailures(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for i := 0; i < auth.LoginAccountLimit-1; i++ {
		c.post("/admin/login", url.Values{"email": {e.super.Email}, "password": {"wrong"}})
	}
	c.login(e.super.Email)
	c2 := e.client()
	for i := 0; i < auth.LoginAccountLimit-1; i++ {
		if resp, _ := c2.post("/admin/login", url.Values{"email": {e.super.Email}, "password": {"wrong"}}); resp.StatusCode != 401 {
			t.Fatalf("failure %d after a successful login: %d; want 401 (counter cleared)", i+1, resp.StatusCode)
		}
	}
}

func TestLoginCreatesTheSessionAndLogoutDestroysIt(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.token()
	if c.cookies["bc_admin"] != "" {
		t.Fatal("the sign-in form set a session cookie: anonymous visitors must have no session")
	}
	// A session id planted before sign-in (fixation) is not the one issued.
	c.cookies["bc_admin"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	c.login(e.super.Email)
	after := c.cookies["bc_admin"]
	if after == "" || after == "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" {
		t.Fatalf("no fresh session at sign-in: %q", after)
	}
	if resp, _ := c.get("/admin/"); resp.StatusCode != 200 {
		t.Fatalf("signed in home: %d", resp.StatusCode)
	}
	resp, _ := c.post("/admin/logout", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	replay := e.client()
	replay.cookies["bc_admin"] = after
	if resp := replay.do("GET", "/admin/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("session id after logout: %d; want 303 to login", resp.StatusCode)
	}
}

func TestWrongPasswordAndInactiveAccountsCannotSignIn(t *testing.T) {
	e := newEnv(t)
	off := e.user("off@example.org", true)
	e.db.Model(&off).Update("is_active", false)
	c := e.client()
	for _, f := range []url.Values{
		{"email": {e.super.Email}, "password": {"nope nope nope"}},
		{"email": {off.Email}, "password": {testPassword}},
		{"email": {"ghost@example.org"}, "password": {testPassword}},
	} {
		resp, body := c.post("/admin/login", f)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, auth.BadLogin) {
			t.Errorf("login %v: %d; want 401 with the same message", f.Get("email"), resp.StatusCode)
		}
	}
}

func TestCookiesAreSecureHostOnlyOutsideDevelopment(t *testing.T) {
	e := newEnv(t, func(d *Deps) { d.Dev = false })
	c := e.client()
	check := func(resp *http.Response, want ...string) {
		t.Helper()
		names := map[string]bool{}
		for _, ck := range resp.Cookies() {
			if ck.MaxAge < 0 {
				continue // a removal
			}
			names[ck.Name] = true
			if !strings.HasPrefix(ck.Name, "__Host-") {
				t.Errorf("cookie %s lacks the __Host- prefix", ck.Name)
			}
			if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" {
				t.Errorf("cookie %s: Secure=%v HttpOnly=%v SameSite=%v Path=%q Domain=%q", ck.Name, ck.Secure, ck.HttpOnly, ck.SameSite, ck.Path, ck.Domain)
			}
		}
		for _, w := range want {
			if !names[w] {
				t.Errorf("no %s cookie among %v", w, names)
			}
		}
	}
	resp := c.do("GET", "/admin/login", nil)
	check(resp, "__Host-bc_login")
	body := readBody(t, resp)
	tok := csrfField.FindStringSubmatch(body)[1]
	resp = c.do("POST", "/admin/login", url.Values{"_csrf": {tok}, "email": {e.super.Email}, "password": {testPassword}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", resp.StatusCode)
	}
	check(resp, "__Host-bc_admin", "__Host-bc_device")
}
