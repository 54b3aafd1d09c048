package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/backchannel/backchannel/jobs"
)

// EnqueueReassign asks a worker to re-assign an event's strained items to its
// sessions (after session times changed). A reassign already queued counts.
func (a *App) EnqueueReassign(ctx context.Context, eventID int64) error {
	q := asynq.NewClient(AsynqRedis(a.Config))
	defer q.Close()
	_, err := q.EnqueueContext(ctx, jobs.NewReassignTask(eventID))
	if err != nil && !errors.Is(err, asynq.ErrDuplicateTask) {
		return fmt.Errorf("app: enqueue session re-assignment: %w", err)
	}
	return nil
}
