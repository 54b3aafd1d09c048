package app

import (
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/models"
)

func TestOnlyTheEventsListedSitesMayFrameItsWallLivePageAndOverlay(t *testing.T) {
	a := newTestApp(t)
	w, err := a.NewWeb()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	open := seedEvent(t, a, "open", now.Add(-time.Hour), now.Add(time.Hour))
	if err := a.DB.Model(open).Update("embed_origins", "https://conf.example.org\nhttps://Partner.example:8443/").Error; err != nil {
		t.Fatal(err)
	}
	seedEvent(t, a, "closed", now.Add(-time.Hour), now.Add(time.Hour))
	for _, path := range []string{"/events/open/wall", "/events/open", "/events/open/overlay"} {
		status, _, h := get(t, w.Fiber, path)
		csp := h.Get("Content-Security-Policy")
		if status != 200 || !strings.HasSuffix(csp, "frame-ancestors https://conf.example.org https://partner.example:8443") ||
			strings.Contains(csp, "frame-ancestors 'none'") || h.Get("X-Frame-Options") != "" {
			t.Errorf("%s: %d, CSP %q, X-Frame-Options %q; want the two listed origins only", path, status, csp, h.Get("X-Frame-Options"))
		}
	}
	for _, path := range []string{"/events/closed/wall", "/events/closed", "/", "/events/open/archive", "/api/events/open"} {
		_, _, h := get(t, w.Fiber, path)
		if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: CSP %q, X-Frame-Options %q; want none may frame", path, h.Get("Content-Security-Policy"), h.Get("X-Frame-Options"))
		}
	}
}

func TestEmbedOriginsAreOriginsOnly(t *testing.T) {
	for in, want := range map[string]string{
		"https://conf.example.org":       "https://conf.example.org",
		"https://conf.example.org/":      "https://conf.example.org",
		"http://localhost:8080":          "http://localhost:8080",
		"https://conf.example.org/wall":  "",
		"https://*.example.org":          "",
		"javascript:alert(1)":            "",
		"conf.example.org":               "",
		"https://a.example;script-src *": "",
		"https://user@conf.example.org":  "",
		"https://conf.example.org/?a=b":  "",
	} {
		got, ok := models.EmbedOrigin(in)
		if got != want || ok != (want != "") {
			t.Errorf("EmbedOrigin(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
