package app

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestMetricsAndReadyzAnswerOnlyLoopbackOrTheToken(t *testing.T) {
	a := newTestApp(t)
	f := a.NewFiber(ownRoutes(a))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = f.Listener(ln) }()
	t.Cleanup(func() { _ = f.ShutdownWithTimeout(time.Second) })
	base := "http://" + ln.Addr().String()
	status := func(path string, hdr ...string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, path := range []string{"/metrics", "/readyz"} {
		if got := status(path); got != 200 {
			t.Errorf("%s from loopback: %d; want 200", path, got)
		}
		// What nginx on this machine passes on from the internet.
		if got := status(path, "X-Forwarded-For", "198.51.100.1"); got != 403 {
			t.Errorf("%s forwarded by a proxy: %d; want 403", path, got)
		}
		if got := status(path, "X-Forwarded-For", "198.51.100.1", "Authorization", "Bearer "+testMetricsToken); got != 200 {
			t.Errorf("%s forwarded, with the token: %d; want 200", path, got)
		}
		if got := status(path, "X-Forwarded-For", "198.51.100.1", "Authorization", "Bearer wrong-token-0123456789"); got != 403 {
			t.Errorf("%s with a wrong token: %d; want 403", path, got)
		}
		// Not loopback (app.Test's peer is 0.0.0.0) and no token.
		resp, err := f.Test(httptest.NewRequest(http.MethodGet, path, nil))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 403 {
			t.Errorf("%s from another address without the token: %d; want 403", path, resp.StatusCode)
		}
	}
	if got := status("/healthz", "X-Forwarded-For", "198.51.100.1"); got != 200 {
		t.Errorf("/healthz stays public: %d", got)
	}
}
