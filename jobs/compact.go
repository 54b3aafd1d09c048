package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Compaction of finished events' live logs. Redis never evicts, and a live
// log keeps each item's state (≈ 0.9 KB) for the log's life so that
// snapshots and moderation ops can read it; once an event is over only the
// newest items are ever asked for, so the rest go (realtime.Log.Compact).
const (
	// TypeCompactEnded compacts the logs of events that ended a while ago;
	// scheduled periodically.
	TypeCompactEnded = "live:compact"
	// DefaultCompactEvery is how often the scheduler enqueues it.
	DefaultCompactEvery = time.Hour
	// DefaultCompactAfter is how long after its end an event is compacted:
	// organizers still moderate the day after.
	DefaultCompactAfter = 24 * time.Hour
	// DefaultKeepItemStates is how many of the newest public items keep
	// their state: more than the largest snapshot (realtime.MaxLimit).
	DefaultKeepItemStates = 1000
)

// NewCompactTask returns the periodic TypeCompactEnded task.
func NewCompactTask() *asynq.Task {
	return asynq.NewTask(TypeCompactEnded, nil, asynq.Unique(30*time.Minute), asynq.Timeout(30*time.Minute), asynq.MaxRetry(0))
}

// CompactEnded compacts the live log of every event that ended before
// now-after, keeping the states of its newest keep public items. It is
// idempotent; events counts those that had states to drop.
func (s *Strainer) CompactEnded(ctx context.Context, now time.Time, after time.Duration, keep int) (events int, dropped int64, err error) {
	ids, err := s.store.EventsEndedBefore(ctx, now.Add(-after))
	if err != nil {
		return 0, 0, fmt.Errorf("jobs: compact: %w", err)
	}
	var errs []error
	for _, id := range ids {
		if ctx.Err() != nil {
			return events, dropped, ctx.Err()
		}
		n, err := s.log.Compact(ctx, id, keep)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if n > 0 {
			events++
			dropped += n
			s.opts.Logger.Info("compacted the live log of an ended event", "event", id, "item_states_dropped", n, "kept", keep)
		}
	}
	return events, dropped, errors.Join(errs...)
}
