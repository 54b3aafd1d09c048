package schedule

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Networks a speaker's handle belongs to.
const (
	Mastodon = "mastodon"
	Bluesky  = "bluesky"
	X        = "x"
)

// Handle is a speaker's handle on one network, in its canonical form:
// Mastodon "@user@host", Bluesky "handle.bsky.social", X "@user".
type Handle struct {
	Network string
	// Key is the folded identity compared with posts: "user@host",
	// "handle.bsky.social" or "user".
	Key string
}

// String is the handle as written in an event file.
func (h Handle) String() string {
	switch h.Network {
	case Mastodon, X:
		return "@" + h.Key
	}
	return h.Key
}

var (
	mastodonForm = regexp.MustCompile(`^@?([a-z0-9_][a-z0-9_.-]*)@([a-z0-9-]+(?:\.[a-z0-9-]+)+)$`)
	blueskyForm  = regexp.MustCompile(`^@?([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)$`)
	xForm        = regexp.MustCompile(`^@([a-z0-9_]{1,15})$`)
)

// ParseHandle reads a speaker's handle in any network's usual form:
// "@user@host" (Mastodon), "handle.bsky.social" (Bluesky; with or without
// "@"), "@user" (X), or a profile URL of one of them
// (https://host/@user, https://bsky.app/profile/handle, https://x.com/user).
func ParseHandle(s string) (Handle, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://") {
		return handleFromURL(s, v)
	}
	if m := mastodonForm.FindStringSubmatch(v); m != nil {
		return Handle{Mastodon, m[1] + "@" + m[2]}, nil
	}
	if m := blueskyForm.FindStringSubmatch(v); m != nil {
		return Handle{Bluesky, m[1]}, nil
	}
	if m := xForm.FindStringSubmatch(v); m != nil {
		return Handle{X, m[1]}, nil
	}
	return Handle{}, fmt.Errorf("%q is not a handle: write Mastodon as @user@host, Bluesky as handle.bsky.social, X as @user", s)
}

func handleFromURL(orig, v string) (Handle, error) {
	u, err := url.Parse(v)
	bad := fmt.Errorf("%q is not a profile URL of Mastodon (https://host/@user), Bluesky (https://bsky.app/profile/handle) or X (https://x.com/user)", orig)
	if err != nil || u.Host == "" {
		return Handle{}, bad
	}
	path := strings.Trim(u.Path, "/")
	switch {
	case u.Host == "bsky.app" && strings.HasPrefix(path, "profile/"):
		return ParseHandle(strings.TrimPrefix(path, "profile/"))
	case u.Host == "x.com" || u.Host == "twitter.com" || u.Host == "www.x.com" || u.Host == "www.twitter.com":
		if h, err := ParseHandle("@" + path); err == nil && h.Network == X {
			return h, nil
		}
	case strings.HasPrefix(path, "@") && !strings.Contains(path, "/"):
		if h, err := ParseHandle(path + "@" + u.Host); err == nil && h.Network == Mastodon {
			return h, nil
		}
	}
	return Handle{}, bad
}
