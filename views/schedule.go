package views

import (
	"net/url"
	"strings"
)

// sessionDay is the sessions of one calendar day in the event's time zone.
type sessionDay struct {
	Label    string
	Sessions []SessionVM
}

// sessionDays groups sessions (already in time order) by their start day.
func sessionDays(sessions []SessionVM) []sessionDay {
	var days []sessionDay
	for _, s := range sessions {
		label := s.StartsAt.Format("Monday, Jan 2")
		if len(days) == 0 || days[len(days)-1].Label != label {
			days = append(days, sessionDay{Label: label})
		}
		d := &days[len(days)-1]
		d.Sessions = append(d.Sessions, s)
	}
	return days
}

// liveOnly keeps the sessions happening now.
func liveOnly(sessions []SessionVM) []SessionVM {
	var out []SessionVM
	for _, s := range sessions {
		if s.Live {
			out = append(out, s)
		}
	}
	return out
}

// displayURL is a URL as people type it: no scheme, no trailing slash.
func displayURL(u string) string {
	if p, err := url.Parse(u); err == nil && p.Host != "" {
		return strings.TrimSuffix(p.Host+p.EscapedPath(), "/")
	}
	return u
}
