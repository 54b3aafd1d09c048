package auth

import "testing"

func TestLoginRedirectsOnlyInsideTheAdmin(t *testing.T) {
	for next, want := range map[string]string{
		"/admin/events":      "/admin/events",
		"//evil.example/":    "/admin/",
		"https://evil.test/": "/admin/",
		"/admin/logout":      "/admin/",
		"":                   "/admin/",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q; want %q", next, got, want)
		}
	}
}
