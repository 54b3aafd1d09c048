package models

import (
	"time"
)

// EventGroups is the home page's split of events.
type EventGroups struct {
	Now, Upcoming, Past []Event
}

// GroupEvents splits events into now (soonest ending first), upcoming (soonest
// first) and past (most recent first) as of t.
func GroupEvents(evs []Event, t time.Time) EventGroups {
	var g EventGroups
	for _, e := range evs {
		switch e.Phase(t) {
		case "now":
			g.Now = append(g.Now, e)
		case "upcoming":
			g.Upcoming = append([]Event{e}, g.Upcoming...)
		default:
			g.Past = append(g.Past, e)
		}
	}
	return g
}
