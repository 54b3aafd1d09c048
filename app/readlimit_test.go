package app

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/realtime"
)

func TestExpensiveReadsAreLimitedPerClientWithRetryAfter(t *testing.T) {
	a := newTestApp(t)
	a.Config.Security.RateReads = Rate{Count: 3, Period: time.Minute}
	now := time.Now()
	seedEvent(t, a, "conf", now.Add(-time.Hour), now.Add(time.Hour))
	w, err := a.NewWeb()
	if err != nil {
		t.Fatal(err)
	}
	read := func(path, client, ip string) (int, string, http.Header) {
		t.Helper()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if client != "" {
			req.Header.Set("Cookie", realtime.ClientCookie+"="+client)
		}
		resp, err := w.Fiber.Test(req, 10_000)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	for _, tc := range []struct{ kind, path, what string }{
		{"search", "/events/conf/search?q=keynote", "Too many searches"},
		{"search in the API", "/api/events/conf/items?q=keynote", "Too many searches"},
		{"export", "/events/conf/export.json", "Too many exports"},
		{"deep page", "/api/events/conf/items?after=100", "Too many archive pages"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			ana, bo := realtime.NewClientID(), realtime.NewClientID()
			for i := 0; i < 3; i++ {
				if status, body, _ := read(tc.path, ana, ""); status != 200 {
					t.Fatalf("read %d: %d %.200s", i+1, status, body)
				}
			}
			status, body, h := read(tc.path, ana, "")
			if status != http.StatusTooManyRequests || !strings.Contains(body, tc.what) {
				t.Fatalf("fourth read in a minute: %d %.300s; want 429 saying %q", status, body, tc.what)
			}
			if ra, err := strconv.Atoi(h.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
				t.Fatalf("Retry-After %q", h.Get("Retry-After"))
			}
			if status, _, _ := read(tc.path, bo, ""); status != 200 {
				t.Fatalf("another browser at the same address: %d; want 200 (the ceiling is per address, 50 times higher)", status)
			}
		})
	}
	// Cheap reads are never limited: the first archive page, the live page.
	for i := 0; i < 10; i++ {
		if status, _, _ := read("/api/events/conf/items", "", ""); status != 200 {
			t.Fatalf("first page of items, read %d: %d", i+1, status)
		}
	}
}
