package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/redis/rueidis"
	"gorm.io/gorm"

	"github.com/backchannel/backchannel/archive/stamp"
)

// StrainerOptions tunes a Strainer; zero values take the defaults.
type StrainerOptions struct {
	// Batch is how many log entries one transaction copies (default 2,000).
	Batch int
	// KeepInRedis is how many strained entries stay in Redis below the
	// cursor for the hubs (default 1,000).
	KeepInRedis int64
	// Redis and Namespace, when Redis is set, let the strainer bump each
	// event's archive stamp (see archive/stamp) after it wrote rows.
	Redis     rueidis.Client
	Namespace string
	// Parallel is how many events StrainAll strains at once (default 4).
	Parallel int
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Strainer copies live logs into Postgres. It is safe for concurrent use;
// concurrent calls for one event serialise on the event's cursor row.
type Strainer struct {
	db   *gorm.DB
	log  LiveLog
	opts StrainerOptions

	// hookAfterInsert, set only by tests, runs inside a batch's transaction
	// after the items insert; an error aborts the batch as a crash would.
	hookAfterInsert func(eventID int64) error
}

// NewStrainer returns a Strainer reading log (a *realtime.Log in production)
// and writing db.
func NewStrainer(db *gorm.DB, log LiveLog, opts StrainerOptions) *Strainer {
	if opts.Batch <= 0 {
		opts.Batch = 2000
	}
	if opts.KeepInRedis <= 0 {
		opts.KeepInRedis = 1000
	}
	if opts.Parallel <= 0 {
		opts.Parallel = 4
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Strainer{db: db, log: log, opts: opts}
}

// StrainEvent copies every entry of the event's log past its cursor into
// Postgres, batch by batch, then trims Redis below what Postgres holds
// (keeping a margin). n is the number of entries strained.
func (s *Strainer) StrainEvent(ctx context.Context, eventID int64) (n int, err error) {
	sqlDB, err := s.db.DB()
	if err != nil {
		return 0, fmt.Errorf("jobs: strain event %d: database handle: %w", eventID, err)
	}
	epoch, head, err := s.log.Head(ctx, eventID)
	if err != nil {
		return 0, fmt.Errorf("jobs: strain event %d: head: %w", eventID, err)
	}
	if head == 0 {
		return 0, nil
	}
	var cursor int64
	for {
		res, err := s.strainBatch(ctx, sqlDB, eventID, epoch, head)
		if err != nil {
			return n, err
		}
		n += res.entries
		cursor = res.cursor
		if res.wrote && s.opts.Redis != nil {
			if _, err := stamp.Bump(ctx, s.opts.Redis, s.opts.Namespace, eventID); err != nil {
				s.opts.Logger.Warn("strainer: bump archive stamp", "event", eventID, "err", err)
			}
		}
		if res.missing || res.entries < s.opts.Batch {
			break
		}
	}
	if upTo := cursor - s.opts.KeepInRedis; upTo > 0 {
		if err := s.log.Trim(ctx, eventID, upTo); err != nil {
			return n, fmt.Errorf("jobs: strain event %d: trim to %d: %w", eventID, upTo, err)
		}
	}
	return n, nil
}

// StrainAll strains every event that has a live log, up to
// StrainerOptions.Parallel events at a time. One event's failure does not
// stop the others; the errors are joined.
func (s *Strainer) StrainAll(ctx context.Context) (int, error) {
	ids, err := s.log.Events(ctx)
	if err != nil {
		return 0, fmt.Errorf("jobs: strain all: list events: %w", err)
	}
	var (
		mu    sync.Mutex
		total int
		errs  []error
		wg    sync.WaitGroup
		slots = make(chan struct{}, s.opts.Parallel)
	)
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			n, err := s.StrainEvent(ctx, id)
			mu.Lock()
			defer mu.Unlock()
			total += n
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	return total, errors.Join(errs...)
}

// batchResult says what one batch did.
type batchResult struct {
	entries int   // entries strained
	cursor  int64 // cursor after the batch
	wrote   bool  // whether rows visible to archives may have changed
	missing bool  // the event has no row in events (deleted): nothing to do
}

// strainBatch copies one batch in one transaction with the cursor.
func (s *Strainer) strainBatch(ctx context.Context, sqlDB *sql.DB, eventID int64, epoch string, head int64) (res batchResult, err error) {
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("jobs: strain event %d: begin: %w", eventID, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if _, err = tx.ExecContext(ctx, sqlEnsureCursor, eventID, epoch); err != nil {
		return res, fmt.Errorf("jobs: strain event %d: create cursor: %w", eventID, err)
	}
	var curEpoch string
	var cur int64
	switch err = tx.QueryRowContext(ctx, sqlLockCursor, eventID).Scan(&curEpoch, &cur); {
	case errors.Is(err, sql.ErrNoRows):
		s.opts.Logger.Warn("strainer: live log of an unknown event; skipped", "event", eventID)
		err = nil
		_ = tx.Rollback()
		return batchResult{missing: true}, nil
	case err != nil:
		return res, fmt.Errorf("jobs: strain event %d: lock cursor: %w", eventID, err)
	}
	res.cursor = cur
	if curEpoch != epoch {
		s.opts.Logger.Warn("strainer: live log epoch changed; continuing by seq",
			"event", eventID, "cursor_epoch", curEpoch, "log_epoch", epoch, "cursor", cur)
	}
	if head < cur {
		// Rows in Postgres are never dropped to match: whoever rebuilt the
		// log must continue its seq past what Postgres holds.
		s.opts.Logger.Error("strainer: live log head is behind Postgres; waiting for it to pass the cursor",
			"event", eventID, "head", head, "cursor", cur)
	}
	entries, err := s.log.Range(ctx, eventID, cur, s.opts.Batch)
	if err != nil {
		return res, fmt.Errorf("jobs: strain event %d: range after %d: %w", eventID, cur, err)
	}
	if len(entries) == 0 {
		if curEpoch != epoch {
			if _, err = tx.ExecContext(ctx, sqlSaveCursor, eventID, epoch, cur); err != nil {
				return res, fmt.Errorf("jobs: strain event %d: save cursor: %w", eventID, err)
			}
		}
		if err = tx.Commit(); err != nil {
			return res, fmt.Errorf("jobs: strain event %d: commit: %w", eventID, err)
		}
		return res, nil
	}
	if first := entries[0].Seq; first != cur+1 {
		s.opts.Logger.Warn("strainer: gap in live log", "event", eventID, "cursor", cur, "first", first)
	}
	b := splitBatch(entries)
	if len(b.adds.seq) > 0 {
		if _, err = tx.ExecContext(ctx, sqlInsertItems, b.adds.args(eventID)...); err != nil {
			return res, fmt.Errorf("jobs: strain event %d: insert items: %w", eventID, err)
		}
	}
	if s.hookAfterInsert != nil {
		if err = s.hookAfterInsert(eventID); err != nil {
			return res, fmt.Errorf("jobs: strain event %d: %w", eventID, err)
		}
	}
	if len(b.ops.seq) > 0 {
		if _, err = tx.ExecContext(ctx, sqlInsertOps, eventID, b.ops.seq, b.ops.op, b.ops.target); err != nil {
			return res, fmt.Errorf("jobs: strain event %d: insert ops: %w", eventID, err)
		}
		if _, err = tx.ExecContext(ctx, sqlApplyOps, b.changes.args(eventID)...); err != nil {
			return res, fmt.Errorf("jobs: strain event %d: apply ops: %w", eventID, err)
		}
	}
	if len(b.adds.seq) > 0 {
		lo, hi := b.adds.seq[0], b.adds.seq[len(b.adds.seq)-1]
		if _, err = tx.ExecContext(ctx, sqlAssignBatch, eventID, lo, hi); err != nil {
			return res, fmt.Errorf("jobs: strain event %d: assign sessions: %w", eventID, err)
		}
	}
	last := entries[len(entries)-1].Seq
	if _, err = tx.ExecContext(ctx, sqlSaveCursor, eventID, epoch, last); err != nil {
		return res, fmt.Errorf("jobs: strain event %d: save cursor: %w", eventID, err)
	}
	if err = tx.Commit(); err != nil {
		return res, fmt.Errorf("jobs: strain event %d: commit: %w", eventID, err)
	}
	return batchResult{entries: len(entries), cursor: max(cur, last), wrote: true}, nil
}
