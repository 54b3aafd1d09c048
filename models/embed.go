package models

import (
	"net/url"
	"strings"
)

// EmbedOrigin reads one origin a site may frame an event's pages from
// (Event.EmbedOrigins): http(s), a host and maybe a port, no path, query,
// user or wildcard. It returns the origin as frame-ancestors names it.
func EmbedOrigin(s string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(u.Host, "*;'\" ") {
		return "", false
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), true
}

// FrameAncestors returns the event's embed origins (one per line, or
// separated by spaces or commas), skipping any that is not an origin.
func (e Event) FrameAncestors() []string {
	var out []string
	for _, f := range strings.FieldsFunc(e.EmbedOrigins, func(r rune) bool { return r == '\n' || r == '\r' || r == ' ' || r == ',' }) {
		if o, ok := EmbedOrigin(f); ok {
			out = append(out, o)
		}
	}
	return out
}
