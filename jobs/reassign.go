package jobs

import (
	"context"
	"fmt"

	"github.com/backchannel/backchannel/archive/stamp"
)

// Reassign puts every strained item of an event into the session whose time
// window now holds its created_at (or none), after an organizer edited the
// sessions. It holds the event's strainer cursor for the duration, so it never
// interleaves with a batch of the same event. Running it twice changes nothing
// but the archive stamp, which it always bumps: titles and times changed too.
func (s *Strainer) Reassign(ctx context.Context, eventID int64) error {
	if err := s.store.Reassign(ctx, eventID); err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	// Bumped even when no item moved: the sessions themselves (times,
	// titles) changed, and the archive pages show them.
	if s.opts.Redis != nil {
		if _, err := stamp.Bump(ctx, s.opts.Redis, s.opts.Namespace, eventID); err != nil {
			s.opts.Logger.Warn("strainer: bump archive stamp", "event", eventID, "err", err)
		}
	}
	return nil
}
