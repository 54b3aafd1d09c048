package clientip

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

func TestTheClientIsTheRightMostAddressThatIsNotATrustedProxy(t *testing.T) {
	r, err := New([]string{"10.0.0.0/8", "192.0.2.5", "2001:db8:1::/48"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		peer string
		xff  []string // header lines, as received
		want string
	}{
		{"no proxy: the peer, header ignored", "203.0.113.7", []string{"198.51.100.1"}, "203.0.113.7"},
		{"no proxy, no header", "203.0.113.7", nil, "203.0.113.7"},
		{"one trusted proxy", "10.0.0.2", []string{"198.51.100.1"}, "198.51.100.1"},
		{"spoofed entry on the left is skipped", "10.0.0.2", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"a client claiming to be a trusted proxy", "10.0.0.2", []string{"10.9.9.9, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted proxies appended", "10.0.0.2", []string{"6.6.6.6, 198.51.100.1, 192.0.2.5"}, "198.51.100.1"},
		{"appended as a second header line", "10.0.0.2", []string{"6.6.6.6", "198.51.100.1, 10.1.1.1"}, "198.51.100.1"},
		{"garbage stops the walk at the last trusted hop", "10.0.0.2", []string{"198.51.100.1, nonsense, 192.0.2.5"}, "192.0.2.5"},
		{"garbage right of the client is trusted by nobody", "10.0.0.2", []string{"1.2.3.4, 198.51.100.1 , unknown"}, "10.0.0.2"},
		{"every hop trusted: the furthest", "10.0.0.2", []string{"10.0.0.9, 192.0.2.5"}, "10.0.0.9"},
		{"trusted peer without a header", "10.0.0.2", nil, "10.0.0.2"},
		{"ports are dropped", "10.0.0.2", []string{"198.51.100.1:4711"}, "198.51.100.1"},
		{"IPv6 with a port", "10.0.0.2", []string{"[2001:db8:9::1]:443"}, "2001:db8:9::1"},
		{"IPv6 proxies", "2001:db8:1::7", []string{"2001:db8:9::1, 2001:db8:1::8"}, "2001:db8:9::1"},
		{"IPv4-mapped peer", "::ffff:10.0.0.2", []string{"198.51.100.1"}, "198.51.100.1"},
		{"empty entries", "10.0.0.2", []string{" , 198.51.100.1,,"}, "198.51.100.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var lines [][]byte
			for _, l := range tc.xff {
				lines = append(lines, []byte(l))
			}
			if got := r.Resolve(netip.MustParseAddr(tc.peer), lines); got.String() != tc.want {
				t.Fatalf("Resolve(%s, %q) = %s; want %s", tc.peer, tc.xff, got, tc.want)
			}
		})
	}
	if _, err := New([]string{"10.0.0.0/33"}); err == nil {
		t.Fatal("a bad range was accepted")
	}
	var none *Resolver
	if got := none.Resolve(netip.MustParseAddr("10.0.0.2"), [][]byte{[]byte("1.2.3.4")}); got.String() != "10.0.0.2" {
		t.Fatalf("a nil resolver trusted a header: %s", got)
	}
}

// serve runs f on a loopback port, behind r (Middleware first, FastOf for
// the raw fasthttp path), and returns its address.
func serve(t *testing.T, trusted []string) (string, *Resolver) {
	t.Helper()
	r, err := New(trusted)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fiber.Config{DisableStartupMessage: true}
	FiberConfig(&cfg, trusted)
	f := fiber.New(cfg)
	f.Use(r.Middleware())
	f.Get("/ip", func(c *fiber.Ctx) error { return c.SendString(c.IP()) })
	next := f.Handler()
	f.Server().Handler = func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/fast" { // the live path's own admission
			ctx.SetBodyString(r.String(ctx))
			return
		}
		next(ctx)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = f.Listener(ln) }()
	t.Cleanup(func() { _ = f.ShutdownWithTimeout(time.Second) })
	return "http://" + ln.Addr().String(), r
}

func get(t *testing.T, url string, xff ...string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), "GET", url, nil)
	for _, v := range xff {
		req.Header.Add("X-Forwarded-For", v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b))
}

func TestFibersIPAndTheFastPathAgreeWithResolve(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted []string
		xff     []string
		want    string
	}{
		{"not behind a proxy: a forged header is ignored", nil, []string{"6.6.6.6"}, "127.0.0.1"},
		{"behind a proxy: the spoofed left part is ignored", []string{"127.0.0.1"}, []string{"6.6.6.6, 198.51.100.1"}, "198.51.100.1"},
		{"behind two proxies, lines appended", []string{"127.0.0.0/8", "192.0.2.5"}, []string{"6.6.6.6", "198.51.100.1, 192.0.2.5"}, "198.51.100.1"},
		{"a proxy that is not trusted is the client", []string{"192.0.2.5"}, []string{"198.51.100.1"}, "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, _ := serve(t, tc.trusted)
			if got := get(t, base+"/ip", tc.xff...); got != tc.want {
				t.Errorf("fiber's c.IP() = %q; want %q", got, tc.want)
			}
			if got := get(t, base+"/fast", tc.xff...); got != tc.want {
				t.Errorf("the fast path's address = %q; want %q", got, tc.want)
			}
		})
	}
}
