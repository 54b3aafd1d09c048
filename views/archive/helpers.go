package archive

import (
	"net/url"

	"github.com/backchannel/backchannel/views"
)

func photoAlt(p views.PhotoVM) string {
	if p.Alt != "" {
		return p.Alt
	}
	return "Photo"
}

// shortPath is a link's path for display, cut to keep lists tidy.
func shortPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Path == "" || u.Path == "/" {
		return ""
	}
	p := u.Path
	if r := []rune(p); len(r) > 40 {
		p = string(r[:39]) + "…"
	}
	return p
}
