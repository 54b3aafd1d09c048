package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/backchannel/backchannel/live"
)

// The strainer's writes (package jobs decides when and what): each batch of
// live-log entries is copied in one transaction that holds the event's
// cursor row, so a crash anywhere rolls the whole batch back and the next
// run repeats it; the unique keys make the repeat idempotent. The SQL is
// hand-written (strainer_sql.go) because it is on the ≥10,000 items/s path:
// a handful of statements over unnest()ed column arrays (strainer_batch.go).

// ErrNoEvent is returned by BeginStrain when the event of a live log has no
// row in events (it was deleted): there is nothing to strain it into.
var ErrNoEvent = errors.New("store: the live log's event does not exist")

// StrainTx is one strainer batch's transaction. Call Commit or Rollback.
type StrainTx struct {
	tx      *sql.Tx
	eventID int64
	// Epoch and Cursor are the event's cursor as the transaction locked it.
	Epoch  string
	Cursor int64
}

// BeginStrain opens one batch's transaction for an event: it creates the
// event's cursor at 0 if there is none, and locks it until Commit or
// Rollback, so concurrent strains of one event (and Reassign) serialise.
// epoch is the live log's, for a new cursor.
func (s *Store) BeginStrain(ctx context.Context, eventID int64, epoch string) (_ *StrainTx, err error) {
	db, err := s.db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: strain event %d: database handle: %w", eventID, err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: strain event %d: begin: %w", eventID, wrap(err))
	}
	t := &StrainTx{tx: tx, eventID: eventID}
	defer func() {
		if err != nil {
			t.Rollback()
		}
	}()
	if _, err = tx.ExecContext(ctx, sqlEnsureCursor, eventID, epoch); err != nil {
		return nil, fmt.Errorf("store: strain event %d: create cursor: %w", eventID, wrap(err))
	}
	switch err = tx.QueryRowContext(ctx, sqlLockCursor, eventID).Scan(&t.Epoch, &t.Cursor); {
	case errors.Is(err, sql.ErrNoRows):
		err = ErrNoEvent
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("store: strain event %d: lock cursor: %w", eventID, wrap(err))
	}
	return t, nil
}

// StrainBatch is a run of live-log entries ready to be written: the adds
// as items rows, the other ops as log_ops rows and folded into one change
// per target item.
type StrainBatch struct{ b batch }

// NewStrainBatch splits entries (in seq order) into a batch, each new item
// placed in the schedule by place (nil: none is placed). Unknown ops are
// skipped.
func NewStrainBatch(entries []live.Entry, place Placer) *StrainBatch {
	return &StrainBatch{b: splitBatch(entries, place)}
}

// Adds is the number of items the batch adds.
func (b *StrainBatch) Adds() int { return len(b.b.adds.seq) }

// InsertItems copies the batch's adds into items (an item already there,
// by seq or by source id, is left as it is).
func (t *StrainTx) InsertItems(ctx context.Context, b *StrainBatch) error {
	if len(b.b.adds.seq) == 0 {
		return nil
	}
	if _, err := t.tx.ExecContext(ctx, sqlInsertItems, b.b.adds.args(t.eventID)...); err != nil {
		return fmt.Errorf("store: strain event %d: insert items: %w", t.eventID, wrap(err))
	}
	return nil
}

// ApplyOps keeps the batch's ops in log_ops (for history served from
// Postgres) and applies them to the items they target.
func (t *StrainTx) ApplyOps(ctx context.Context, b *StrainBatch) error {
	if len(b.b.ops.seq) == 0 {
		return nil
	}
	if _, err := t.tx.ExecContext(ctx, sqlInsertOps, t.eventID, b.b.ops.seq, b.b.ops.op, b.b.ops.target); err != nil {
		return fmt.Errorf("store: strain event %d: insert ops: %w", t.eventID, wrap(err))
	}
	if _, err := t.tx.ExecContext(ctx, sqlApplyOps, b.b.changes.args(t.eventID)...); err != nil {
		return fmt.Errorf("store: strain event %d: apply ops: %w", t.eventID, wrap(err))
	}
	return nil
}

// SaveCursor moves the cursor to seq (never back) with the log's epoch.
func (t *StrainTx) SaveCursor(ctx context.Context, epoch string, seq int64) error {
	if _, err := t.tx.ExecContext(ctx, sqlSaveCursor, t.eventID, epoch, seq); err != nil {
		return fmt.Errorf("store: strain event %d: save cursor: %w", t.eventID, wrap(err))
	}
	return nil
}

// Commit makes the batch durable, cursor and rows together.
func (t *StrainTx) Commit() error {
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("store: strain event %d: commit: %w", t.eventID, wrap(err))
	}
	return nil
}

// Rollback abandons the batch; after Commit it does nothing.
func (t *StrainTx) Rollback() { _ = t.tx.Rollback() }

// WaitForStrain returns once no strainer batch of the event is in flight:
// it takes the event's cursor lock and lets it go. A batch that starts
// after it reads the schedule as committed before the call.
func (s *Store) WaitForStrain(ctx context.Context, eventID int64) error {
	db, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("store: wait for strain of event %d: database handle: %w", eventID, err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: wait for strain of event %d: begin: %w", eventID, wrap(err))
	}
	defer func() { _ = tx.Rollback() }()
	// The cursor row may not exist yet; then there is no batch to wait for.
	if _, err := tx.ExecContext(ctx, sqlLockCursorOnly, eventID); err != nil {
		return fmt.Errorf("store: wait for strain of event %d: %w", eventID, wrap(err))
	}
	return tx.Commit()
}

// PlacementInput is what placing a stored item reads, and where it sits.
type PlacementInput struct {
	Seq          int64
	Source       string
	Text         string
	HTML         string
	AuthorHandle string
	CreatedAt    time.Time
	Placement
}

// PlacementInputs returns up to limit stored items of an event with seq
// above after, in seq order, as placing them reads them.
func (s *Store) PlacementInputs(ctx context.Context, eventID, after int64, limit int) ([]PlacementInput, error) {
	rows, err := s.conn().QueryContext(ctx, sqlPlacementInputs, eventID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("store: placement inputs of event %d: %w", eventID, wrap(err))
	}
	defer rows.Close()
	out := make([]PlacementInput, 0, limit)
	for rows.Next() {
		var p PlacementInput
		if err := rows.Scan(&p.Seq, &p.Source, &p.Text, &p.HTML, &p.AuthorHandle, &p.CreatedAt,
			&p.SessionID, &p.Rule, &p.FromSessionID); err != nil {
			return nil, fmt.Errorf("store: placement inputs of event %d: %w", eventID, wrap(err))
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: placement inputs of event %d: %w", eventID, wrap(err))
	}
	return out, nil
}

// PlacementChange moves one item to a new placement.
type PlacementChange struct {
	Seq       int64
	SessionID int64 // 0 for none
	Rule      string
}

// SetPlacements writes changes in one statement; an item a moderator placed
// in the meantime keeps its placement.
func (s *Store) SetPlacements(ctx context.Context, eventID int64, changes []PlacementChange) error {
	if len(changes) == 0 {
		return nil
	}
	seqs := make([]int64, len(changes))
	sids := make([]int64, len(changes))
	rules := make([]string, len(changes))
	for i, c := range changes {
		seqs[i], sids[i], rules[i] = c.Seq, c.SessionID, c.Rule
	}
	if _, err := s.conn().ExecContext(ctx, sqlSetPlacements, eventID, seqs, sids, rules); err != nil {
		return fmt.Errorf("store: set placements of event %d: %w", eventID, wrap(err))
	}
	return nil
}
