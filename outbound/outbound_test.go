package outbound

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/net/dns/dnsmessage"
)

func TestClassifyRefusesEveryNonPublicClass(t *testing.T) {
	cases := []struct {
		ip, reason string
		metadata   bool
	}{
		{"127.0.0.1", "loopback", false},
		{"127.8.9.10", "loopback", false},
		{"::1", "loopback", false},
		{"10.1.2.3", "private", false},
		{"172.16.0.1", "private", false},
		{"192.168.1.1", "private", false},
		{"169.254.1.1", "link-local", false},
		{"fe80::1", "link-local", false},
		{"fd12:3456::1", "unique-local", false},
		{"100.64.0.1", "carrier-grade NAT", false},
		{"224.0.0.1", "multicast", false},
		{"ff02::1", "multicast", false},
		{"0.0.0.0", "unspecified", false},
		{"::", "unspecified", false},
		{"0.1.2.3", "this network", false},
		{"255.255.255.255", "reserved", false},
		{"192.0.2.10", "documentation", false},
		{"169.254.169.254", "metadata", true},
		{"fd00:ec2::254", "metadata", true},
		{"100.100.100.200", "metadata", true},
		{"192.0.0.192", "metadata", true},
		{"::ffff:127.0.0.1", "loopback", false},
		{"::ffff:169.254.169.254", "metadata", true},
		{"64:ff9b::a00:1", "private", false},
		{"2002:c0a8:101::1", "private", false},
	}
	for _, tc := range cases {
		reason, meta := Classify(netip.MustParseAddr(tc.ip))
		if !strings.Contains(reason, tc.reason) || meta != tc.metadata {
			t.Errorf("%s: %q metadata=%v, want %q metadata=%v", tc.ip, reason, meta, tc.reason, tc.metadata)
		}
	}
	for _, ip := range []string{"1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "64:ff9b::101:101"} {
		if reason, _ := Classify(netip.MustParseAddr(ip)); reason != "" {
			t.Errorf("%s is public, got %q", ip, reason)
		}
	}
}

// refused fails unless err carries a RefusedError.
func refused(t *testing.T, what string, err error) *RefusedError {
	t.Helper()
	var re *RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("%s: want a refused connection, got %v", what, err)
	}
	return re
}

func TestTheClientRefusesToConnectToALoopbackServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "secret") }))
	defer srv.Close()
	_, err := NewClient(Policy{}).Get(srv.URL)
	re := refused(t, "loopback", err)
	if re.Reason != "a loopback address" || !strings.Contains(err.Error(), "OUTBOUND_ALLOW_PRIVATE") {
		t.Errorf("error %q", err)
	}
}

func TestTheAllowListOpensNamedPrivateHostsOnly(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	defer srv.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "other") }))
	defer other.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	allow, err := ParseAllowList(" " + host + " , example.internal")
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(Policy{AllowPrivate: allow})
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatalf("named host:port refused: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" {
		t.Errorf("body %q", b)
	}
	if _, err := c.Get(other.URL); err == nil {
		t.Fatal("another port of the same loopback address was allowed")
	} else {
		refused(t, "other port", err)
	}
	anyPort := NewClient(Policy{AllowPrivate: []string{"127.0.0.1"}})
	if resp, err := anyPort.Get(other.URL); err != nil {
		t.Errorf("a host without a port allows every port: %v", err)
	} else {
		resp.Body.Close()
	}
}

func TestTheAllowListNeverOpensAMetadataAddress(t *testing.T) {
	if _, err := ParseAllowList("169.254.169.254:80"); err == nil {
		t.Error("a metadata address was accepted in the allow list")
	}
	p := Policy{AllowPrivate: []string{"169.254.169.254"}}
	err := p.check("169.254.169.254", "169.254.169.254:80", true)
	if re := refused(t, "metadata", err); !re.Metadata || strings.Contains(err.Error(), "OUTBOUND_ALLOW_PRIVATE") {
		t.Errorf("error %q", err)
	}
	_, err = NewClient(p).Get("http://metadata.google.internal/computeMetadata/v1/")
	refused(t, "metadata name", err)
}

func TestARedirectToAPrivateAddressIsRefused(t *testing.T) {
	inner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "internal") }))
	defer inner.Close()
	outer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(inner.URL, "127.0.0.1", "127.0.0.2", 1)+"/admin", http.StatusFound)
	}))
	defer outer.Close()
	// The first hop is allowed (a fake service); its redirect is not.
	c := NewClient(Policy{AllowPrivate: []string{strings.TrimPrefix(outer.URL, "http://")}})
	_, err := c.Get(outer.URL)
	refused(t, "redirect", err)

	toMeta := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	}))
	defer toMeta.Close()
	_, err = NewClient(Policy{AllowPrivate: []string{"127.0.0.1"}}).Get(toMeta.URL)
	if re := refused(t, "redirect to metadata", err); !re.Metadata {
		t.Errorf("error %q", err)
	}
}

func TestRedirectsAreCappedAndNeverDowngradeToHTTP(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, srv.URL+r.URL.Path+"x", http.StatusFound)
	}))
	defer srv.Close()
	_, err := NewClient(Policy{AllowPrivate: []string{"127.0.0.1"}}).Get(srv.URL + "/")
	if !errors.Is(err, ErrTooManyRedirects) {
		t.Errorf("endless redirects: %v", err)
	}
	p := Policy{}
	via := []*http.Request{{URL: mustURL("https://a.example/")}}
	if err := p.CheckRedirect(&http.Request{URL: mustURL("http://a.example/")}, via); err == nil {
		t.Error("https to http allowed")
	}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// fakeDNS answers every A question with addr, like a name an attacker
// points at an internal address (or rebinds to one after a first public
// answer).
func fakeDNS(t *testing.T, addr netip.Addr) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			var p dnsmessage.Parser
			h, err := p.Start(buf[:n])
			if err != nil {
				continue
			}
			q, err := p.Question()
			if err != nil {
				continue
			}
			b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true})
			_ = b.StartQuestions()
			_ = b.Question(q)
			_ = b.StartAnswers()
			if q.Type == dnsmessage.TypeA && addr.Is4() {
				_ = b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 0},
					dnsmessage.AResource{A: addr.As4()})
			}
			msg, _ := b.Finish()
			_, _ = pc.WriteTo(msg, from)
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

func TestANameThatResolvesToAPrivateAddressIsRefusedAtConnectTime(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "internal") }))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	res := fakeDNS(t, netip.MustParseAddr("127.0.0.1"))
	u := "http://rebind.example.com:" + port + "/"
	p := Policy{Resolver: res}
	if err := p.CheckURL(u); err != nil {
		t.Fatalf("the name itself is fine before DNS: %v", err)
	}
	_, err := NewClient(p).Get(u)
	if re := refused(t, "rebinding name", err); re.Addr != "127.0.0.1" || re.Host != "rebind.example.com" {
		t.Errorf("refusal %+v", re)
	}
	// Named in the allow list, the same name is reached.
	p.AllowPrivate = []string{"rebind.example.com:" + port}
	resp, err := NewClient(p).Get(u)
	if err != nil {
		t.Fatalf("allowed name: %v", err)
	}
	resp.Body.Close()
}

func TestCheckURLRefusesLiteralPrivateAndMetadataHosts(t *testing.T) {
	p := Policy{AllowPrivate: []string{"127.0.0.1:18081"}}
	bad := map[string]string{
		"http://169.254.169.254/latest":       "metadata",
		"http://[fd00:ec2::254]/":             "metadata",
		"http://metadata.google.internal/":    "metadata",
		"https://10.0.0.5/feed":               "private",
		"http://127.0.0.1:18082/":             "loopback",
		"http://localhost:3000/":              "loopback",
		"http://2130706433/":                  "unusual notation",
		"http://0x7f.1/":                      "unusual notation",
		"ftp://example.org/":                  "not an http(s)",
		"wss://[::1]/subscribe":               "loopback",
		"https://[::ffff:192.168.0.1]/x":      "private",
		"http://user:pw@100.64.1.1:8080/feed": "carrier-grade",
	}
	for u, want := range bad {
		if err := p.CheckURL(u); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error about %q", u, err, want)
		}
	}
	for _, u := range []string{"https://mastodon.social", "http://127.0.0.1:18081/api", "wss://jetstream2.us-east.bsky.network/subscribe", "https://123.cafe/"} {
		if err := p.CheckURL(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
}

func TestTheWebSocketDialerGoesThroughTheSameChecks(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		_ = c.Write(r.Context(), websocket.MessageText, []byte("hi"))
		c.Close(websocket.StatusNormalClosure, "")
	}))
	defer srv.Close()
	ws := "ws" + strings.TrimPrefix(srv.URL, "http")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _, err := websocket.Dial(ctx, ws, &websocket.DialOptions{HTTPClient: NewClient(Policy{})})
	refused(t, "websocket", err)
	c, _, err := websocket.Dial(ctx, ws, &websocket.DialOptions{HTTPClient: NewClient(Policy{AllowPrivate: []string{strings.TrimPrefix(srv.URL, "http://")}})})
	if err != nil {
		t.Fatalf("allowed websocket: %v", err)
	}
	_, msg, err := c.Read(ctx)
	if err != nil || string(msg) != "hi" {
		t.Errorf("read %q %v", msg, err)
	}
	c.CloseNow()
}

func TestReadAllRefusesABodyOverItsCapInsteadOfCuttingIt(t *testing.T) {
	if b, err := ReadAll(strings.NewReader("12345"), 5); err != nil || string(b) != "12345" {
		t.Errorf("at the cap: %q %v", b, err)
	}
	if _, err := ReadAll(strings.NewReader("123456"), 5); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the cap: %v", err)
	}
}

func TestParseAllowListNamesTheBadEntry(t *testing.T) {
	if _, err := ParseAllowList("127.0.0.1:18081,not a host"); err == nil || !strings.Contains(err.Error(), "not a host") {
		t.Errorf("got %v", err)
	}
	if _, err := ParseAllowList("127.0.0.1:99999x"); err == nil {
		t.Error("bad port accepted")
	}
	got, err := ParseAllowList("[::1]:8080, Fake.Local")
	if err != nil || len(got) != 2 || got[0] != "[::1]:8080" || got[1] != "fake.local" {
		t.Errorf("got %v %v", got, err)
	}
}
