package admin

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/backchannel/backchannel/admin/auth"
	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/realtime"
)

// env is one test's admin: real Postgres, real Redis, a real live log.
type env struct {
	t     testing.TB
	db    *gorm.DB
	rdb   *testenv.Redis
	log   *realtime.Log
	app   *fiber.App
	deps  Deps
	evA   models.Event
	evB   models.Event
	super models.User
}

const testPassword = "correct horse battery"

// testHash hashes testPassword once for the whole test binary (argon2id is
// deliberately slow, more so under -race).
var testHash = sync.OnceValues(func() (string, error) { return auth.HashPassword(testPassword) })

func newEnv(t testing.TB, opts ...func(*Deps)) *env {
	t.Helper()
	db := testenv.NewDatabase(t).DB
	rdb := testenv.NewRedis(t)
	e := &env{t: t, db: db, rdb: rdb, log: realtime.NewLog(rdb.Client, rdb.Namespace)}
	e.deps = Deps{DB: db, Redis: rdb.Client, Namespace: rdb.Namespace, Log: e.log, Dev: true, Keys: testKeys{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range opts {
		o(&e.deps)
	}
	// The test client names its address in X-Forwarded-For (app.Test
	// gives every request the same peer).
	e.app = fiber.New(fiber.Config{DisableStartupMessage: true, ProxyHeader: fiber.HeaderXForwardedFor})
	if err := Mount(e.app, e.deps); err != nil {
		t.Fatal(err)
	}
	e.evA = e.event("alpha-conf")
	e.evB = e.event("beta-conf")
	e.super = e.user("root@example.org", true)
	return e
}

func (e *env) event(slug string) models.Event {
	e.t.Helper()
	start := time.Date(2026, 5, 24, 13, 0, 0, 0, time.UTC)
	ev := models.Event{Slug: slug, Title: "Conf " + slug, Timezone: "UTC", StartsAt: start, EndsAt: start.Add(48 * time.Hour),
		Posting: "open", Moderation: "after"}
	if err := e.db.Create(&ev).Error; err != nil {
		e.t.Fatal(err)
	}
	return ev
}

func (e *env) user(email string, super bool) models.User {
	e.t.Helper()
	hash, err := testHash()
	if err != nil {
		e.t.Fatal(err)
	}
	u := models.User{Email: email, PasswordHash: hash, IsSuperuser: super, IsActive: true}
	if err := e.db.Create(&u).Error; err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *env) role(u models.User, ev models.Event, role string) {
	e.t.Helper()
	if err := e.db.Create(&models.EventRole{UserID: u.ID, EventID: ev.ID, Role: role}).Error; err != nil {
		e.t.Fatal(err)
	}
}

// item stores an item both in the live log (as the ingest path does) and in
// Postgres (as the strainer does), returning its seq.
func (e *env) item(ev models.Event, ext, author, text string, review string) int64 {
	e.t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	it := live.Item{ID: "mastodon:" + ext, Source: "mastodon", Kind: "post", Author: live.Author{Name: author, Handle: "@" + author + "@example.social"},
		Text: text, HTML: "<p>" + text + "</p>", Media: []live.Media{}, CreatedAt: now, ReceivedAt: now, Held: review == models.ReviewPending}
	res, err := e.log.AppendItem(ctx, ev.ID, it)
	if err != nil {
		e.t.Fatal(err)
	}
	row := models.Item{EventID: ev.ID, Seq: res.Seq, Source: "mastodon", ExternalID: ext, Kind: "post", AuthorName: author,
		AuthorHandle: "@" + author + "@example.social", Text: text, HTML: it.HTML, Media: json.RawMessage("[]"),
		CreatedAt: now, ReceivedAt: now, Review: review}
	if err := e.db.Omit("search").Create(&row).Error; err != nil {
		e.t.Fatal(err)
	}
	return res.Seq
}

// client is a browser: it keeps cookies between requests.
type client struct {
	e       *env
	cookies map[string]string
	ip      string
	ua      string
}

func (e *env) client() *client { return &client{e: e, cookies: map[string]string{}, ip: "192.0.2.10"} }

func (c *client) do(method, path string, form url.Values, hdr ...string) *http.Response {
	c.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	req.Header.Set("X-Forwarded-For", c.ip)
	if c.ua != "" {
		req.Header.Set("User-Agent", c.ua)
	}
	req.RemoteAddr = c.ip + ":1234"
	var parts []string
	for k, v := range c.cookies {
		parts = append(parts, k+"="+v)
	}
	if len(parts) > 0 {
		req.Header.Set("Cookie", strings.Join(parts, "; "))
	}
	resp, err := c.e.app.Test(req, -1)
	if err != nil {
		c.e.t.Fatal(err)
	}
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" || (!ck.Expires.IsZero() && ck.Expires.Before(time.Now())) {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck.Value
		}
	}
	return resp
}

func (c *client) get(path string) (*http.Response, string) {
	c.e.t.Helper()
	resp := c.do("GET", path, nil)
	return resp, readBody(c.e.t, resp)
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrf loads page and returns the CSRF token its forms carry.
func (c *client) csrf(page string) string {
	c.e.t.Helper()
	resp, body := c.get(page)
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		c.e.t.Fatalf("GET %s: %d, no CSRF token in page", page, resp.StatusCode)
	}
	return m[1]
}

// token returns a CSRF token from the login page (anonymous) or home page.
func (c *client) token() string {
	c.e.t.Helper()
	resp, body := c.get("/admin/login")
	if m := csrfField.FindStringSubmatch(body); m != nil && resp.StatusCode == http.StatusOK {
		return m[1]
	}
	if resp, body := c.get("/admin/"); resp.StatusCode == http.StatusOK {
		return csrfField.FindStringSubmatch(body)[1]
	}
	return c.csrf("/admin/account/two-factor") // a session that must set up its second factor
}

// post submits a form with a fresh CSRF token taken from tokenPage.
func (c *client) post(path string, form url.Values) (*http.Response, string) {
	c.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", c.token())
	resp := c.do("POST", path, form)
	return resp, readBody(c.e.t, resp)
}

func (c *client) login(email string) {
	c.e.t.Helper()
	resp, body := c.post("/admin/login", url.Values{"email": {email}, "password": {testPassword}})
	if resp.StatusCode != http.StatusSeeOther {
		c.e.t.Fatalf("login %s: status %d: %s", email, resp.StatusCode, body)
	}
}

// testKeys stands in for secrets.Keyring: HMAC-SHA256 and AES-GCM under
// keys derived per purpose from a fixed test secret.
type testKeys struct{}

func (testKeys) key(purpose string) []byte {
	m := hmac.New(sha256.New, []byte("test secret key of the admin tests, 32+ chars"))
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

func (k testKeys) Sign(purpose string, msg []byte) []byte {
	m := hmac.New(sha256.New, k.key("sign/"+purpose))
	m.Write(msg)
	return m.Sum(nil)
}

func (k testKeys) Verify(purpose string, msg, mac []byte) bool {
	return hmac.Equal(k.Sign(purpose, msg), mac)
}

func (k testKeys) aead(purpose string) cipher.AEAD {
	b, _ := aes.NewCipher(k.key("seal/" + purpose))
	g, _ := cipher.NewGCM(b)
	return g
}

func (k testKeys) Seal(purpose string, pt, bound []byte) ([]byte, error) {
	g := k.aead(purpose)
	nonce := make([]byte, g.NonceSize())
	_, _ = rand.Read(nonce)
	return g.Seal(nonce, nonce, pt, bound), nil
}

func (k testKeys) Open(purpose string, ct, bound []byte) ([]byte, error) {
	g := k.aead(purpose)
	if len(ct) < g.NonceSize() {
		return nil, errors.New("short")
	}
	return g.Open(nil, ct[:g.NonceSize()], ct[g.NonceSize():], bound)
}

func readBody(t testing.TB, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (e *env) auditCount(action, objectType, objectID string) int64 {
	e.t.Helper()
	var n int64
	q := e.db.Model(&models.AuditEntry{}).Where("action = ? AND object_type = ?", action, objectType)
	if objectID != "" {
		q = q.Where("object_id = ?", objectID)
	}
	if err := q.Count(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

func id(n int64) string { return fmt.Sprint(n) }
