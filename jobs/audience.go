package jobs

import (
	"context"
)

// ReactionFlusher is the part of *realtime.Log that appends the reaction
// totals counted in Redis but not yet in the log. The web node that counted
// them flushes them within a second; the strainer flushes every event it
// strains too, so totals counted by a node that died before its flush still
// reach the log, and Postgres, within one strainer run.
type ReactionFlusher interface {
	FlushReactions(ctx context.Context, eventID int64) (int, error)
}

// flushAudience flushes the event's pending reaction totals when the live
// log can (a failure only delays them to the next run).
func (s *Strainer) flushAudience(ctx context.Context, eventID int64) {
	f, ok := s.log.(ReactionFlusher)
	if !ok {
		return
	}
	for range 10 { // each round appends a bounded batch; the rest waits a run
		n, err := f.FlushReactions(ctx, eventID)
		if err != nil {
			s.opts.Logger.Warn("strainer: flush reactions", "event", eventID, "err", err)
			return
		}
		if n == 0 {
			return
		}
	}
}
