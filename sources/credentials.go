package sources

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/backchannel/backchannel/outbound"
	"github.com/backchannel/backchannel/secrets"
)

// A source's secret (its token, or Flickr's API key) is bound to the host
// the source is configured for, and the binding travels with the runner's
// context. Every request of every source goes through guardTransport, under
// the outbound client's own checks: to the bound host it attaches the
// secret (Authorization: Bearer for Mastodon and X, api_key for Flickr) when
// the adapter did not; to any other host, redirects included, it strips an
// Authorization header and refuses a request that would still carry the
// secret anywhere. A source whose config names another host than its stored
// token was entered for gets no token at all.
//
// Where a secret comes from (resolveSecret): the token an organizer entered
// for the source in the admin (encrypted with SECRET_KEY, bound to the host
// it was entered for; see tokens.go), else the environment variable its
// token_env names, only when the operator's SOURCE_SECRETS allows that
// variable for that host.

// credential is one source's secret and where it may go.
type credential struct {
	kind   string
	host   string // canonical host[:port] (see canonicalHost)
	secret string
	from   string // "admin" or the variable's name, for the dashboard
}

type credentialKey struct{}

// bind returns ctx carrying the runner's credential for its requests.
func (r *runner) bind(ctx context.Context) context.Context {
	return context.WithValue(ctx, credentialKey{}, r.cred)
}

// errSecretElsewhere refuses a request that would carry a source's secret
// to a host it was not configured for.
var errSecretElsewhere = errors.New("sources: refused to send the source's secret to a host other than its own")

// guardTransport binds secrets to their hosts (see above).
type guardTransport struct {
	next http.RoundTripper
}

func (g guardTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c, _ := req.Context().Value(credentialKey{}).(credential)
	if c.secret != "" && canonicalHost(req.URL) == c.host {
		req = attach(req, c)
		return g.next.RoundTrip(req)
	}
	if req.Header.Get("Authorization") != "" {
		req = req.Clone(req.Context())
		req.Header.Del("Authorization")
	}
	if c.secret != "" && carries(req, c.secret) {
		return nil, fmt.Errorf("%w (%s)", errSecretElsewhere, req.URL.Host)
	}
	return g.next.RoundTrip(req)
}

// attach adds the secret where the source kind sends it, unless present.
func attach(req *http.Request, c credential) *http.Request {
	switch c.kind {
	case "mastodon", "x":
		if req.Header.Get("Authorization") == "" {
			req = req.Clone(req.Context())
			req.Header.Set("Authorization", "Bearer "+c.secret)
		}
	case "flickr":
		q := req.URL.Query()
		if q.Get("api_key") == "" {
			req = req.Clone(req.Context())
			q.Set("api_key", c.secret)
			req.URL.RawQuery = q.Encode()
		}
	}
	return req
}

// carries reports whether the secret appears in the request's URL or
// headers (bodies of source requests never hold one).
func carries(req *http.Request, secret string) bool {
	if strings.Contains(req.URL.String(), secret) || strings.Contains(req.URL.String(), url.QueryEscape(secret)) {
		return true
	}
	for _, vs := range req.Header {
		for _, v := range vs {
			if strings.Contains(v, secret) {
				return true
			}
		}
	}
	return false
}

// canonicalHost is a URL's host in lower case with its default port dropped
// (ws and wss count as http and https).
func canonicalHost(u *url.URL) string {
	if u == nil {
		return ""
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	port := u.Port()
	switch {
	case port == "":
	case port == "80" && (u.Scheme == "http" || u.Scheme == "ws"):
	case port == "443" && (u.Scheme == "https" || u.Scheme == "wss"):
	default:
		return net.JoinHostPort(host, port)
	}
	return host
}

// configuredURL is the URL a source's secret belongs to: its instance,
// base_url or endpoint.
func configuredURL(kind string, c Config) string {
	switch kind {
	case "mastodon":
		return c.Instance
	case "x", "flickr":
		return c.BaseURL
	case "bluesky":
		return c.Endpoint
	case "feed":
		return c.URL
	}
	return ""
}

// SourceHost is the host a source's secret is bound to: the canonical host
// of its instance, base_url or endpoint ("" when it has none).
func SourceHost(kind string, rawConfig []byte) string {
	c, err := ParseConfig(rawConfig)
	if err != nil {
		return ""
	}
	u, err := url.Parse(configuredURL(kind, c))
	if err != nil {
		return ""
	}
	return canonicalHost(u)
}

// resolveSecret finds the runner's secret: the stored token first, then its
// token_env when SOURCE_SECRETS allows it for the source's host. What it
// refuses is logged, never the secret.
func (r *runner) resolveSecret(ctx context.Context) credential {
	host := SourceHost(r.src.Kind, r.src.Config)
	c := credential{kind: r.src.Kind, host: host}
	if host == "" {
		return c
	}
	if tok, err := r.m.storedToken(ctx, r.src.ID, host); err != nil {
		r.log.Warn("sources: stored token unusable", "err", err)
	} else if tok != "" {
		c.secret, c.from = tok, "admin"
		return c
	}
	name := r.cfg.TokenEnv
	if name == "" {
		return c
	}
	bare := strings.Split(host, ":")[0]
	if err := r.m.sourceSecrets().Allows(name, bare); err != nil {
		r.log.Warn("sources: token_env refused; no token is sent", "reason", err.Error())
		return c
	}
	c.secret, c.from = r.m.opts.Getenv(name), name
	return c
}

func (m *Manager) sourceSecrets() secrets.SourceSecrets {
	if m.opts.SourceSecrets != nil {
		return *m.opts.SourceSecrets
	}
	s, _ := secrets.ParseSourceSecrets("")
	return s
}

// guardClient wraps c's transport in guardTransport (the outbound client's
// when c is nil).
func guardClient(c *http.Client) *http.Client {
	if c == nil {
		c = outbound.NewClient(outbound.Policy{})
	}
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	g := *c
	g.Transport = guardTransport{next: next}
	return &g
}

// oneShotTimeout bounds a request that is not a stream (TestConnection).
const oneShotTimeout = 15 * time.Second
