package app

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// newTestApp builds an App over a fresh database and the test Redis.
func newTestApp(t *testing.T) *App {
	t.Helper()
	cfg, err := LoadConfig(envMap(map[string]string{"BACKCHANNEL_ENV": "development", "DATA_DIR": t.TempDir(), "METRICS_TOKEN": testMetricsToken}))
	if err != nil {
		t.Fatal(err)
	}
	db := testenv.NewDatabase(t)
	r := testenv.NewRedis(t)
	return New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), db.DB, r.Client, r.Namespace)
}

// testMetricsToken opens /metrics and /readyz to the tests' requests
// (app.Test's requests come from 0.0.0.0, not loopback).
const testMetricsToken = "test-metrics-token-0123456789"

// get sends a GET to f and returns the status and body.
func get(t *testing.T, f *fiber.App, path string) (int, string, http.Header) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+testMetricsToken)
	resp, err := f.Test(req, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

// ownRoutes are the app's own routes (health, events API) as the web role
// registers them.
func ownRoutes(a *App) ServerOptions {
	return ServerOptions{Routes: []web.Routes{health{a}, eventsAPI{app: a, events: store.NewEvents(a.Store, store.EventsOptions{})}}}
}

func seedEvent(t *testing.T, a *App, slug string, starts, ends time.Time) *models.Event {
	t.Helper()
	ev := &models.Event{Slug: slug, Title: "Event " + slug, Timezone: "Europe/Berlin", StartsAt: starts, EndsAt: ends,
		Posting: models.PostingOpen, Moderation: models.ModerationAfter}
	if err := a.DB.Create(ev).Error; err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestHealthzAnswersWhileTheProcessLives(t *testing.T) {
	a := newTestApp(t)
	status, body, _ := get(t, a.NewFiber(ownRoutes(a)), "/healthz")
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
}

func TestReadyzChecksPostgresRedisAndMigrations(t *testing.T) {
	a := newTestApp(t)
	status, body, _ := get(t, a.NewFiber(ownRoutes(a)), "/readyz")
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	var got struct {
		Ready  bool              `json:"ready"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"postgres", "redis", "migrations"} {
		if got.Checks[k] != "ok" {
			t.Errorf("check %s = %q", k, got.Checks[k])
		}
	}
}

func TestReadyzFailsWhenRedisIsStopped(t *testing.T) {
	a := newTestApp(t)
	srv := testenv.StartRedisServer(t)
	cfg := *a.Config
	cfg.RedisAddrs, cfg.RedisDB = []string{srv.Addr}, 0
	rdb, err := NewRedis(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	a.Redis = rdb
	f := a.NewFiber(ownRoutes(a))
	if status, body, _ := get(t, f, "/readyz"); status != 200 {
		t.Fatalf("with Redis up: status %d: %s", status, body)
	}
	srv.Stop(t)
	status, body, _ := get(t, f, "/readyz")
	if status != http.StatusServiceUnavailable {
		t.Fatalf("with Redis stopped: status %d: %s", status, body)
	}
}

func TestReadyzFailsWithPendingMigrations(t *testing.T) {
	a := newTestApp(t)
	if err := a.DB.Exec("DELETE FROM goose_db_version WHERE version_id > 0").Error; err != nil {
		t.Fatal(err)
	}
	status, body, _ := get(t, a.NewFiber(ownRoutes(a)), "/readyz")
	if status != http.StatusServiceUnavailable {
		t.Fatalf("status %d: %s", status, body)
	}
}

func TestMetricsExposesPrometheusText(t *testing.T) {
	a := newTestApp(t)
	f := a.NewFiber(ownRoutes(a))
	get(t, f, "/healthz")
	status, body, _ := get(t, f, "/metrics")
	if status != 200 || !strings.Contains(body, "backchannel_http_request_duration_seconds") || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("status %d, body lacks metrics:\n%.500s", status, body)
	}
}

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	a := newTestApp(t)
	_, _, h := get(t, a.NewFiber(ownRoutes(a)), "/api/events")
	for k, want := range map[string]string{
		"X-Frame-Options":        "DENY",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "strict-origin-when-cross-origin",
	} {
		if h.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, h.Get(k), want)
		}
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP = %q", csp)
	}
	if h.Get("X-Request-Id") == "" {
		t.Error("no request id")
	}
}

func TestEventsAPIListsEventsNewestFirst(t *testing.T) {
	a := newTestApp(t)
	now := time.Now()
	seedEvent(t, a, "old-conf", now.Add(-72*time.Hour), now.Add(-48*time.Hour))
	seedEvent(t, a, "new-conf", now.Add(-time.Hour), now.Add(time.Hour))
	status, body, h := get(t, a.NewFiber(ownRoutes(a)), "/api/events")
	if status != 200 || h.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d %s: %s", status, h.Get("Content-Type"), body)
	}
	var got struct{ Events []EventJSON }
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Events) != 2 || got.Events[0].Slug != "new-conf" || got.Events[0].Phase != "now" || got.Events[1].Phase != "past" {
		t.Fatalf("events: %+v", got.Events)
	}
}

func TestEventAPIShowsSessionsWithCounts(t *testing.T) {
	a := newTestApp(t)
	now := time.Now().UTC().Truncate(time.Second)
	ev := seedEvent(t, a, "conf", now.Add(-time.Hour), now.Add(time.Hour))
	s := models.Session{EventID: ev.ID, Slug: "keynote", Title: "Keynote", StartsAt: now.Add(-time.Hour), EndsAt: now}
	if err := a.DB.Create(&s).Error; err != nil {
		t.Fatal(err)
	}
	for i := int64(1); i <= 3; i++ {
		it := models.Item{EventID: ev.ID, Seq: i, Source: "room", ExternalID: string(rune('a' + i)), Kind: "post",
			Media: []byte("[]"), CreatedAt: now.Add(-30 * time.Minute), ReceivedAt: now, SessionID: &s.ID,
			Hidden: i == 3, Review: models.ReviewApproved}
		if err := a.DB.Create(&it).Error; err != nil {
			t.Fatal(err)
		}
	}
	status, body, _ := get(t, a.NewFiber(ownRoutes(a)), "/api/events/conf")
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	var got EventDetailJSON
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Items != 2 || len(got.Sessions) != 1 || got.Sessions[0].Items != 2 || got.Sessions[0].Slug != "keynote" {
		t.Fatalf("detail: %+v", got)
	}
}

func TestEventAPIAnswers404ForAnUnknownEvent(t *testing.T) {
	a := newTestApp(t)
	status, body, _ := get(t, a.NewFiber(ownRoutes(a)), "/api/events/nope")
	if status != 404 || body != `{"error":"There is no event \"nope\"."}` {
		t.Fatalf("status %d: %s", status, body)
	}
}

func TestCrossSiteStateChangesAreRefused(t *testing.T) {
	a := newTestApp(t)
	f := a.NewFiber(ServerOptions{Routes: []web.Routes{web.RoutesFunc(func(r fiber.Router) {
		r.Post("/api/echo", func(c *fiber.Ctx) error { return c.SendStatus(http.StatusNoContent) })
	})}})
	cases := []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"same origin by fetch metadata", map[string]string{"Sec-Fetch-Site": "same-origin"}, 204},
		{"cross site by fetch metadata", map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"foreign Origin without fetch metadata", map[string]string{"Origin": "https://evil.example"}, 403},
		{"matching Origin", map[string]string{"Origin": "http://example.com"}, 204},
		{"a script without browser headers", nil, 204},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/api/echo", nil)
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := f.Test(req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
}

func TestLivePollsSkipTheGeneralMiddlewareButKeepTheirHeaders(t *testing.T) {
	a := newTestApp(t)
	now := time.Now()
	seedEvent(t, a, "conf", now.Add(-time.Hour), now.Add(time.Hour))
	w, err := a.NewWeb()
	if err != nil {
		t.Fatal(err)
	}
	status, body, h := get(t, w.Fiber, "/api/events/conf/live?since=0&wait=0")
	if status != 200 || !strings.Contains(body, `"entries"`) {
		t.Fatalf("status %d: %s", status, body)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-store" {
		t.Errorf("live headers: %v", h)
	}
	if h.Get("X-Request-Id") != "" {
		t.Error("a long poll went through the general middleware")
	}
	// Everything else still does.
	if _, _, h := get(t, w.Fiber, "/api/events/conf"); h.Get("X-Request-Id") == "" || h.Get("X-Frame-Options") != "DENY" {
		t.Errorf("event API headers: %v", h)
	}
	if status, body, _ := get(t, w.Fiber, "/api/events/nope/live"); status != 404 || !strings.Contains(body, `"error"`) {
		t.Errorf("unknown event: %d %s", status, body)
	}
}
