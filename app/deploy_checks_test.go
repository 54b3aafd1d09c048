package app

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/internal/web"
)

// Django's `check --deploy` asks for HSTS, a trusted proxy's HTTPS header
// and DEBUG off; here: production behind a trusted nginx sends HSTS on
// HTTPS answers (X-Forwarded-Proto believed only from the proxy), and an
// internal error or a panic answers one sentence, never its text or a
// stack.
func TestProductionSendsHSTSBehindItsProxyAndHidesInternalErrors(t *testing.T) {
	cfg, err := LoadConfig(envMap(map[string]string{"DATA_DIR": t.TempDir(), "BACKCHANNEL_ENV": "production",
		"SECRET_KEY": "k3J9xq2LmZ8vR4tY7wB1nC6dF0gH5jQa", "TRUSTED_PROXIES": "127.0.0.1"}))
	if err != nil {
		t.Fatal(err)
	}
	db := testenv.NewDatabase(t)
	r := testenv.NewRedis(t)
	a := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), db.DB, r.Client, r.Namespace)
	f := a.NewFiber(ServerOptions{Routes: []web.Routes{web.RoutesFunc(func(r fiber.Router) {
		r.Get("/boom", func(*fiber.Ctx) error { return errors.New("dial postgres://app:hunter2@db/prod failed") })
		r.Get("/panic", func(*fiber.Ctx) error { panic("secret state") })
	})}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = f.Listener(ln) }()
	t.Cleanup(func() { _ = f.ShutdownWithTimeout(time.Second) })
	get := func(path string, hdr ...string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "http://"+ln.Addr().String()+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, _ := get("/healthz", "X-Forwarded-Proto", "https", "X-Forwarded-For", "198.51.100.1")
	if hsts := resp.Header.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=31536000") || !strings.Contains(hsts, "includeSubDomains") {
		t.Fatalf("HTTPS answer through the proxy: Strict-Transport-Security %q; want a year, subdomains included", hsts)
	}
	for _, path := range []string{"/boom", "/panic"} {
		resp, body := get(path, "X-Forwarded-Proto", "https", "X-Forwarded-For", "198.51.100.1")
		if resp.StatusCode != 500 || strings.Contains(body, "hunter2") || strings.Contains(body, "secret state") || strings.Contains(body, "goroutine") {
			t.Errorf("GET %s: %d %.300s; want 500 with no detail", path, resp.StatusCode, body)
		}
	}
}
