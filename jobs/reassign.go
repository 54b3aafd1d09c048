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
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("jobs: reassign event %d: database handle: %w", eventID, err)
	}
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("jobs: reassign event %d: begin: %w", eventID, err)
	}
	defer func() { _ = tx.Rollback() }()
	// The cursor row may not exist yet; then there is no batch to wait for.
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM strainer_cursors WHERE event_id = $1 FOR UPDATE`, eventID); err != nil {
		return fmt.Errorf("jobs: reassign event %d: lock cursor: %w", eventID, err)
	}
	if _, err := tx.ExecContext(ctx, sqlReassign, eventID); err != nil {
		return fmt.Errorf("jobs: reassign event %d: %w", eventID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("jobs: reassign event %d: commit: %w", eventID, err)
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
