package secrets

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// DefaultSourceSecrets is SOURCE_SECRETS when unset.
const DefaultSourceSecrets = "MASTODON_TOKEN,BLUESKY_APP_PASSWORD,X_BEARER_TOKEN,FLICKR_API_KEY"

var envName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]{0,127}$`)

// SourceSecrets is the operator's list of environment variables a source's
// token_env may name. An entry NAME lets the secret go to whatever host the
// source is configured for (always that host alone); NAME@host pins it to
// one host, so an organizer cannot point a source of their own at the
// operator's token. A name may be listed with several hosts.
type SourceSecrets struct {
	hosts map[string][]string // name → hosts; an empty list: any host
}

// ParseSourceSecrets parses SOURCE_SECRETS ("" means DefaultSourceSecrets;
// "-" means none: sources then use only tokens entered in the admin).
func ParseSourceSecrets(s string) (SourceSecrets, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		s = DefaultSourceSecrets
	}
	out := SourceSecrets{hosts: map[string][]string{}}
	if s == "-" {
		return out, nil
	}
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		name, host, pinned := strings.Cut(e, "@")
		if !envName.MatchString(name) {
			return SourceSecrets{}, fmt.Errorf("%q is not an environment variable name (A-Z, 0-9 and _)", name)
		}
		if isOperatorVariable(name) {
			return SourceSecrets{}, fmt.Errorf("%s is the server's own setting and can never be a source's secret", name)
		}
		if !pinned {
			if _, ok := out.hosts[name]; !ok {
				out.hosts[name] = nil
			}
			continue
		}
		host = strings.ToLower(strings.TrimSpace(host))
		if host == "" || strings.ContainsAny(host, "/ :@") {
			return SourceSecrets{}, fmt.Errorf("%q: want NAME or NAME@host (a host name, no scheme, port or path)", e)
		}
		out.hosts[name] = append(out.hosts[name], host)
	}
	return out, nil
}

// operatorVariables are the server's own settings: never a source's secret,
// whatever SOURCE_SECRETS says.
var operatorVariables = []string{"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SOURCE_SECRETS", "OUTBOUND_ALLOW_PRIVATE",
	"AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "PGPASSWORD", "HOME", "PATH"}

func isOperatorVariable(name string) bool { return slices.Contains(operatorVariables, name) }

// Names lists the allowed variables, sorted, for error messages.
func (s SourceSecrets) Names() []string {
	out := make([]string, 0, len(s.hosts))
	for n := range s.hosts {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Allows returns nil when a source whose URL has host may use the secret in
// variable name, else one sentence saying why not (for the field token_env).
func (s SourceSecrets) Allows(name, host string) error {
	hosts, ok := s.hosts[name]
	if !ok {
		list := strings.Join(s.Names(), ", ")
		if list == "" {
			list = "none: the operator set SOURCE_SECRETS to -"
		}
		return fmt.Errorf("%s is not a source secret; token_env may name only %s (the operator's SOURCE_SECRETS)", name, list)
	}
	if len(hosts) == 0 {
		return nil
	}
	host = strings.ToLower(host)
	if slices.Contains(hosts, host) {
		return nil
	}
	return fmt.Errorf("%s may be sent only to %s, not to %s (the operator's SOURCE_SECRETS)", name, strings.Join(hosts, ", "), host)
}
