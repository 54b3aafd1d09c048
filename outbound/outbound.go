// Package outbound is the one HTTP client for everything the server fetches
// from elsewhere: every source (streams, polls, the Jetstream WebSocket, the
// Bluesky AppView) and any other server-side fetch. An organizer chooses the
// URLs, so the client must not become a way into the operator's own network
// (server-side request forgery):
//
//   - at connect time, in the dialer's Control hook, it refuses loopback,
//     private, link-local, unique-local, CGNAT, multicast, unspecified,
//     reserved and cloud-metadata addresses. The check runs on the address
//     actually dialled, after DNS, so a name that answers a public address
//     to a validator and a private one to the connection (DNS rebinding)
//     cannot pass;
//   - it follows at most MaxRedirects redirects, each checked again (and
//     dialled through the same hook), never from https down to http;
//   - it never uses a proxy from the environment (the check would then see
//     the proxy, not the target);
//   - it times out dialling, the TLS handshake and waiting for response
//     headers, and caps response headers; ReadAll caps bodies. Streams have
//     no overall deadline (they stay open): their callers' heartbeats and
//     contexts bound them.
//
// Policy.AllowPrivate (OUTBOUND_ALLOW_PRIVATE, docs/API.md) names private
// hosts that may be reached all the same: local development and the tests'
// fake services. Metadata addresses are refused even when named.
//
// CheckURL is the same policy without DNS, for validating a URL when it is
// entered (the event file, the admin): literal private and metadata
// addresses and names like localhost are refused there with one sentence.
//
// This package imports no package of ours and holds no state.
package outbound

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Defaults of a Policy's zero fields.
const (
	DefaultDialTimeout           = 10 * time.Second
	DefaultTLSHandshakeTimeout   = 10 * time.Second
	DefaultResponseHeaderTimeout = 30 * time.Second
	DefaultMaxRedirects          = 5
	// MaxHeaderBytes caps a response's headers.
	MaxHeaderBytes = 64 << 10
)

// Policy says where the client may connect and how long it waits.
type Policy struct {
	// AllowPrivate lists hosts that may be reached although their address
	// is private or loopback: "host:port", or "host" for any port. A host
	// is a name (matched before DNS) or an IP address (matched on the
	// address dialled).
	AllowPrivate []string
	// Resolver resolves names (default: the system's). Tests point it at a
	// DNS server of their own.
	Resolver *net.Resolver
	// DialTimeout, TLSHandshakeTimeout and ResponseHeaderTimeout bound the
	// steps of a request (defaults above); MaxRedirects caps redirects.
	DialTimeout, TLSHandshakeTimeout, ResponseHeaderTimeout time.Duration
	MaxRedirects                                            int
}

// RefusedError is a connection or URL the policy refuses.
type RefusedError struct {
	Host   string // as requested
	Addr   string // the address dialled, "" for a URL refused before DNS
	Reason string // "a loopback address", "a cloud metadata address", ...
	// Metadata is true for a cloud metadata address, which no setting allows.
	Metadata bool
}

func (e *RefusedError) Error() string {
	target := e.Host
	if e.Addr != "" && e.Addr != e.Host {
		target = fmt.Sprintf("%s (%s)", e.Host, e.Addr)
	}
	if e.Metadata {
		return fmt.Sprintf("outbound: %s is %s; the server never connects there", target, e.Reason)
	}
	return fmt.Sprintf("outbound: %s is %s; only public hosts are reached unless OUTBOUND_ALLOW_PRIVATE names it", target, e.Reason)
}

// ParseAllowList parses OUTBOUND_ALLOW_PRIVATE: comma-separated "host:port"
// or "host" entries (IPv6 in brackets: "[::1]:8080").
func ParseAllowList(s string) ([]string, error) {
	var out []string
	for _, e := range strings.Split(s, ",") {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		host, port, err := net.SplitHostPort(e)
		if err != nil {
			host, port = strings.Trim(e, "[]"), ""
		}
		if host == "" || strings.ContainsAny(host, "/ ") || (port != "" && !isPort(port)) {
			return nil, fmt.Errorf("%q is not host:port or host", e)
		}
		if ip, err := netip.ParseAddr(host); err == nil {
			if _, meta := Classify(ip); meta {
				return nil, fmt.Errorf("%q is a cloud metadata address, which is never allowed", e)
			}
		}
		out = append(out, joinHostPort(host, port))
	}
	return out, nil
}

func isPort(p string) bool {
	if len(p) == 0 || len(p) > 5 {
		return false
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func joinHostPort(host, port string) string {
	if port == "" {
		return host
	}
	return net.JoinHostPort(host, port)
}

// allows reports whether host (a name or an address) on port is named in
// AllowPrivate.
func (p Policy) allows(host, port string) bool {
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if ip, err := netip.ParseAddr(host); err == nil {
		host = ip.Unmap().String()
	}
	for _, a := range p.AllowPrivate {
		h, pt, err := net.SplitHostPort(a)
		if err != nil {
			h, pt = a, ""
		}
		if ip, err := netip.ParseAddr(h); err == nil {
			h = ip.Unmap().String()
		}
		if h == host && (pt == "" || pt == port) {
			return true
		}
	}
	return false
}

// check decides on one dialled address; byName is true when the requested
// host itself is named in AllowPrivate.
func (p Policy) check(host, address string, byName bool) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &RefusedError{Host: host, Addr: address, Reason: "not an IP address and port"}
	}
	ip := ap.Addr().Unmap()
	reason, meta := Classify(ip)
	switch {
	case reason == "":
		return nil
	case meta:
		return &RefusedError{Host: host, Addr: ip.String(), Reason: reason, Metadata: true}
	case byName || p.allows(ip.String(), fmt.Sprint(ap.Port())):
		return nil
	}
	return &RefusedError{Host: host, Addr: ip.String(), Reason: reason}
}

// DialContext dials like net.Dialer but refuses what the policy refuses, on
// every address it tries.
func (p Policy) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("outbound: dial %q: %w", addr, err)
	}
	if isMetadataName(host) {
		return nil, &RefusedError{Host: host, Reason: "a cloud metadata address", Metadata: true}
	}
	byName := p.allows(host, port)
	d := &net.Dialer{
		Timeout:   orDefault(p.DialTimeout, DefaultDialTimeout),
		KeepAlive: 30 * time.Second,
		Resolver:  p.Resolver,
		Control: func(_, address string, _ syscall.RawConn) error {
			return p.check(host, address, byName)
		},
	}
	return d.DialContext(ctx, network, addr)
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// NewTransport returns an HTTP/1.1 transport that dials through the policy
// and ignores proxy settings. HTTP/1.1 only: a WebSocket upgrade needs it,
// and streams gain nothing from HTTP/2.
func NewTransport(p Policy) *http.Transport {
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            p.DialContext,
		TLSHandshakeTimeout:    orDefault(p.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout),
		ResponseHeaderTimeout:  orDefault(p.ResponseHeaderTimeout, DefaultResponseHeaderTimeout),
		ExpectContinueTimeout:  time.Second,
		IdleConnTimeout:        90 * time.Second,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    4,
		MaxResponseHeaderBytes: MaxHeaderBytes,
		ForceAttemptHTTP2:      false,
	}
}

// NewClient returns the outbound client: NewTransport's transport and a
// redirect policy that checks every hop. It has no overall timeout, since
// streams stay open; one-shot fetches set a deadline on their context.
func NewClient(p Policy) *http.Client {
	return &http.Client{Transport: NewTransport(p), CheckRedirect: p.CheckRedirect}
}

// ErrTooManyRedirects ends a chain longer than MaxRedirects.
var ErrTooManyRedirects = errors.New("outbound: too many redirects")

// CheckRedirect is the client's redirect policy: at most MaxRedirects hops,
// http(s) only, never from https down to http, and each target passes
// CheckURL (its address is checked again when dialled).
func (p Policy) CheckRedirect(req *http.Request, via []*http.Request) error {
	max := p.MaxRedirects
	if max <= 0 {
		max = DefaultMaxRedirects
	}
	if len(via) >= max {
		return ErrTooManyRedirects
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("outbound: redirect to a %s URL refused", req.URL.Scheme)
	}
	if len(via) > 0 && via[len(via)-1].URL.Scheme == "https" && req.URL.Scheme == "http" {
		return errors.New("outbound: redirect from https to http refused")
	}
	return p.CheckURL(req.URL.String())
}

// CheckURL checks a URL without DNS: an http, https, ws or wss URL whose
// host is not a literal private or metadata address nor a local name,
// unless AllowPrivate names it. The dialer checks names again after DNS.
func (p Policy) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("outbound: %q is not a URL", raw)
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	default:
		return fmt.Errorf("outbound: %q is not an http(s) or ws(s) URL", raw)
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "" {
		return fmt.Errorf("outbound: %q has no host", raw)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "ws": "80", "https": "443", "wss": "443"}[u.Scheme]
	}
	if isMetadataName(host) {
		return &RefusedError{Host: host, Reason: "a cloud metadata address", Metadata: true}
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		ip = ip.Unmap()
		reason, meta := Classify(ip)
		switch {
		case reason == "":
			return nil
		case meta:
			return &RefusedError{Host: host, Reason: reason, Metadata: true}
		case p.allows(host, port):
			return nil
		}
		return &RefusedError{Host: host, Reason: reason}
	}
	if looksNumeric(host) {
		// 2130706433, 0x7f.1, 127.1: forms of an address some resolvers
		// accept, written to slip past a check like this one.
		return &RefusedError{Host: host, Reason: "an IP address in an unusual notation"}
	}
	if (host == "localhost" || strings.HasSuffix(host, ".localhost")) && !p.allows(host, port) {
		return &RefusedError{Host: host, Reason: "a loopback address"}
	}
	return nil
}

// looksNumeric reports whether host is an IP address in a notation
// netip does not read (2130706433, 0x7f.1, 127.1, 017700000001): every
// label a number and the last one decimal or 0x-prefixed. No name in the
// public DNS ends in a numeric label.
func looksNumeric(host string) bool {
	labels := strings.Split(host, ".")
	for _, l := range labels {
		hex := strings.HasPrefix(l, "0x")
		digits := strings.TrimPrefix(l, "0x")
		if digits == "" {
			return false
		}
		for _, c := range digits {
			isDec := c >= '0' && c <= '9'
			if !isDec && !(hex && strings.ContainsRune("abcdef", c)) {
				return false
			}
		}
	}
	return true
}

// ErrTooLarge is a body over its cap.
var ErrTooLarge = errors.New("outbound: answer larger than its limit")

// ReadAll reads r up to max bytes; a longer body is ErrTooLarge, never
// silently cut (a cut page would read as a shorter, valid one).
func ReadAll(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w (%d bytes)", ErrTooLarge, max)
	}
	return b, nil
}
