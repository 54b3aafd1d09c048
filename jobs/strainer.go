package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/archive/stamp"
	"github.com/backchannel/backchannel/store"
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
	store *store.Store
	log   LiveLog
	opts  StrainerOptions

	// hookAfterInsert, set only by tests, runs inside a batch's transaction
	// after the items insert; an error aborts the batch as a crash would.
	hookAfterInsert func(eventID int64) error
}

// NewStrainer returns a Strainer reading log (a *realtime.Log in production)
// and writing st.
func NewStrainer(st *store.Store, log LiveLog, opts StrainerOptions) *Strainer {
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
	return &Strainer{store: st, log: log, opts: opts}
}

// StrainEvent copies every entry of the event's log past its cursor into
// Postgres, batch by batch, then trims Redis below what Postgres holds
// (keeping a margin). n is the number of entries strained.
func (s *Strainer) StrainEvent(ctx context.Context, eventID int64) (n int, err error) {
	epoch, head, err := s.log.Head(ctx, eventID)
	if err != nil {
		return 0, fmt.Errorf("jobs: strain event %d: head: %w", eventID, err)
	}
	if head == 0 {
		return 0, nil
	}
	var cursor int64
	for {
		res, err := s.strainBatch(ctx, eventID, epoch, head)
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
func (s *Strainer) strainBatch(ctx context.Context, eventID int64, epoch string, head int64) (res batchResult, err error) {
	tx, err := s.store.BeginStrain(ctx, eventID, epoch)
	if errors.Is(err, store.ErrNoEvent) {
		s.opts.Logger.Warn("strainer: live log of an unknown event; skipped", "event", eventID)
		return batchResult{missing: true}, nil
	}
	if err != nil {
		return res, fmt.Errorf("jobs: %w", err)
	}
	defer tx.Rollback() // after Commit it does nothing
	cur := tx.Cursor
	res.cursor = cur
	if tx.Epoch != epoch {
		s.opts.Logger.Warn("strainer: live log epoch changed; continuing by seq",
			"event", eventID, "cursor_epoch", tx.Epoch, "log_epoch", epoch, "cursor", cur)
	}
	if head < cur {
		// The head was read before the cursor's lock: another worker's
		// strainer may have passed it since. Read it again before alarming.
		if _, h, herr := s.log.Head(ctx, eventID); herr == nil {
			head = h
		}
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
		if tx.Epoch != epoch {
			if err = tx.SaveCursor(ctx, epoch, cur); err != nil {
				return res, fmt.Errorf("jobs: %w", err)
			}
		}
		if err = tx.Commit(); err != nil {
			return res, fmt.Errorf("jobs: %w", err)
		}
		return res, nil
	}
	if first := entries[0].Seq; first != cur+1 {
		s.opts.Logger.Warn("strainer: gap in live log", "event", eventID, "cursor", cur, "first", first)
	}
	// Read after the cursor lock: a re-assignment waits for this batch,
	// and a schedule edited before it started is the one this batch reads.
	sched, err := loadSchedule(ctx, s.store, eventID)
	if err != nil {
		return res, err
	}
	b := store.NewStrainBatch(entries, placer(sched))
	if err = tx.InsertItems(ctx, b); err != nil {
		return res, fmt.Errorf("jobs: %w", err)
	}
	if s.hookAfterInsert != nil {
		if err = s.hookAfterInsert(eventID); err != nil {
			return res, fmt.Errorf("jobs: strain event %d: %w", eventID, err)
		}
	}
	if err = tx.ApplyOps(ctx, b); err != nil {
		return res, fmt.Errorf("jobs: %w", err)
	}
	last := entries[len(entries)-1].Seq
	if err = tx.SaveCursor(ctx, epoch, last); err != nil {
		return res, fmt.Errorf("jobs: %w", err)
	}
	if err = tx.Commit(); err != nil {
		return res, fmt.Errorf("jobs: %w", err)
	}
	return batchResult{entries: len(entries), cursor: max(cur, last), wrote: true}, nil
}
