package jobs

import (
	"context"
	"fmt"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/schedule"
	"github.com/backchannel/backchannel/store"
)

// loadSchedule reads an event's schedule and compiles it for assignment.
func loadSchedule(ctx context.Context, st *store.Store, eventID int64) (*schedule.Schedule, error) {
	_, sessions, err := st.EventSchedule(ctx, eventID)
	if err != nil {
		return nil, fmt.Errorf("jobs: schedule of event %d: %w", eventID, err)
	}
	return schedule.New(sessions), nil
}

// placer is package schedule's rule as the store's strainer batch takes it:
// a moderator's placement (Item.Placed) is kept, every other item placed
// by the rule.
func placer(s *schedule.Schedule) store.Placer {
	return func(it *live.Item) store.Placement {
		var p store.Placement
		if from := s.BySlug(it.FromSession); from != nil {
			p.FromSessionID = from.ID
		}
		if it.Placed {
			p.Rule = models.PlacedManually
			if x := s.BySlug(it.Session); x != nil {
				p.SessionID = x.ID
			}
			return p
		}
		got := s.Place(*it)
		p.Rule = got.Rule
		if got.Session != nil {
			p.SessionID = got.Session.ID
		}
		return p
	}
}
