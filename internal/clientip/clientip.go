// Package clientip decides which address a request comes from: the one
// function behind fiber's c.IP() (through Middleware) and the live path's
// fast admission (Of), so every per-address limit counts the same address.
//
// Without trusted proxies (TRUSTED_PROXIES, docs/API.md) the address is the
// connection's peer and X-Forwarded-For is ignored. Behind trusted proxies
// it is the right-most address of X-Forwarded-For that is not a trusted
// proxy: each proxy appends the address it received the request from, so
// everything to the left of the first untrusted hop was written by the
// client and may be forged. An entry that is not an address stops the walk
// at the last trusted hop.
//
// It imports no package of ours and keeps no state but its list.
package clientip

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// Resolver finds requests' client addresses behind a set of trusted proxies.
// The zero of *Resolver (nil) trusts no proxy.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a resolver trusting the proxies listed (addresses or CIDR
// ranges, as TRUSTED_PROXIES gives them).
func New(trusted []string) (*Resolver, error) {
	r := &Resolver{}
	for _, s := range trusted {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			r.trusted = append(r.trusted, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("clientip: %q is neither an IP address nor a CIDR range", s)
		}
		a = a.Unmap()
		r.trusted = append(r.trusted, netip.PrefixFrom(a, a.BitLen()))
	}
	return r, nil
}

// Trusted reports whether a is one of the trusted proxies.
func (r *Resolver) Trusted(a netip.Addr) bool {
	if r == nil {
		return false
	}
	a = a.Unmap()
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Resolve returns the client address of a request from peer carrying the
// X-Forwarded-For header lines xff (in the order received).
func (r *Resolver) Resolve(peer netip.Addr, xff [][]byte) netip.Addr {
	peer = peer.Unmap()
	if !r.Trusted(peer) {
		return peer
	}
	client := peer
	for i := len(xff) - 1; i >= 0; i-- {
		line := xff[i]
		for len(line) > 0 {
			j := bytes.LastIndexByte(line, ',')
			entry := bytes.TrimSpace(line[j+1:])
			line = line[:max(j, 0)]
			if len(entry) == 0 {
				continue
			}
			a, ok := parseEntry(entry)
			if !ok {
				return client // garbage: nothing left of it can be believed
			}
			client = a
			if !r.Trusted(a) {
				return a
			}
		}
	}
	return client // every hop is trusted: the furthest one
}

// parseEntry reads one X-Forwarded-For entry: an address, optionally with
// a port ("192.0.2.1:1234", "[2001:db8::1]:1234").
func parseEntry(b []byte) (netip.Addr, bool) {
	s := string(b)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

var xffHeader = []byte(fiber.HeaderXForwardedFor)

// Of returns the client address of a fasthttp request.
func (r *Resolver) Of(ctx *fasthttp.RequestCtx) netip.Addr {
	peer := peerOf(ctx.RemoteAddr())
	if !r.Trusted(peer) {
		return peer
	}
	return r.Resolve(peer, ctx.Request.Header.PeekAll(fiber.HeaderXForwardedFor))
}

// String is Of as text, the key per-address limits use.
func (r *Resolver) String(ctx *fasthttp.RequestCtx) string { return r.Of(ctx).String() }

func peerOf(a net.Addr) netip.Addr {
	if t, ok := a.(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(t.IP); ok {
			return ip.Unmap()
		}
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.IPv4Unspecified()
}

// Middleware makes fiber's c.IP() return Of: for a request from a trusted
// proxy it replaces X-Forwarded-For with the one resolved address, and the
// fiber app reads that header only from the same trusted proxies
// (FiberConfig). Register it before every other handler.
func (r *Resolver) Middleware() fiber.Handler {
	return func(c *fiber.Ctx) error {
		r.Rewrite(c.Context())
		return c.Next()
	}
}

// Rewrite replaces X-Forwarded-For of a request from a trusted proxy with
// its resolved client address; other requests are left alone.
func (r *Resolver) Rewrite(ctx *fasthttp.RequestCtx) {
	peer := peerOf(ctx.RemoteAddr())
	if !r.Trusted(peer) {
		return
	}
	client := r.Resolve(peer, ctx.Request.Header.PeekAll(fiber.HeaderXForwardedFor))
	ctx.Request.Header.DelBytes(xffHeader)
	ctx.Request.Header.SetBytesK(xffHeader, client.String())
}

// FiberConfig sets what fiber needs so that c.IP() agrees with Of: read
// X-Forwarded-For (rewritten by Middleware) only from trusted proxies.
func FiberConfig(cfg *fiber.Config, trusted []string) {
	cfg.EnableTrustedProxyCheck = true
	cfg.TrustedProxies = trusted
	cfg.EnableIPValidation = true
	if len(trusted) > 0 {
		cfg.ProxyHeader = fiber.HeaderXForwardedFor
	} else {
		cfg.ProxyHeader = ""
	}
}
