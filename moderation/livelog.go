package moderation

import (
	"context"
	"errors"
	"fmt"

	"github.com/backchannel/backchannel/live"
)

// Log is the live log as the verbs use it: they append an op after each
// committed change and read the entries the strainer has not copied into
// Postgres yet. The wiring passes the realtime log through LogOf; this
// package never imports the live transport.
type Log interface {
	// AppendOp appends op targeting the item at seq target; it carries the
	// item for every op but hide. ErrNotInLog: the log no longer holds the
	// item (trimmed and compacted after straining).
	AppendOp(ctx context.Context, eventID int64, op string, target int64, it *live.Item) error
	// AppendSpotlight appends a spotlight of the shown item at seq target.
	// ErrNotShown: the item is not public.
	AppendSpotlight(ctx context.Context, eventID int64, target int64, it live.Item, sp live.Spotlight) error
	// Range returns up to limit entries with seq above after, in order.
	Range(ctx context.Context, eventID int64, after int64, limit int) ([]live.Entry, error)
}

// ErrNotShown is returned for a spotlight of an item the public does not
// see (hidden, held or rejected).
var ErrNotShown = errors.New("moderation: the item is not shown on public pages")

// ErrNotInLog is returned by Log.AppendOp for an item the log no longer
// holds: Postgres, which the verbs changed first, is then the only record.
var ErrNotInLog = errors.New("moderation: the live log no longer holds the item")

// opLog is a live log whose AppendOp also says where the entry landed (R).
type opLog[R any] interface {
	AppendOp(ctx context.Context, eventID int64, op string, target int64, it *live.Item) (R, error)
	AppendSpotlight(ctx context.Context, eventID int64, target int64, it live.Item, sp live.Spotlight) (R, error)
	Range(ctx context.Context, eventID int64, after int64, limit int) ([]live.Entry, error)
}

// LogOf adapts a live log whose appends return a result besides the error
// (realtime.Log) to Log; notInLog is its error for an unknown target
// (realtime.ErrUnknownTarget), reported as ErrNotInLog, and notShown its
// error for a spotlight of an item not shown (realtime.ErrNotShown),
// reported as ErrNotShown.
func LogOf[R any](l opLog[R], notInLog, notShown error) Log {
	return adapted[R]{l: l, notInLog: notInLog, notShown: notShown}
}

type adapted[R any] struct {
	l                  opLog[R]
	notInLog, notShown error
}

func (a adapted[R]) AppendSpotlight(ctx context.Context, eventID int64, target int64, it live.Item, sp live.Spotlight) error {
	_, err := a.l.AppendSpotlight(ctx, eventID, target, it, sp)
	switch {
	case err != nil && a.notShown != nil && errors.Is(err, a.notShown):
		return fmt.Errorf("%w: %w", ErrNotShown, err)
	case err != nil && a.notInLog != nil && errors.Is(err, a.notInLog):
		return fmt.Errorf("%w: %w", ErrNotInLog, err)
	}
	return err
}

func (a adapted[R]) AppendOp(ctx context.Context, eventID int64, op string, target int64, it *live.Item) error {
	_, err := a.l.AppendOp(ctx, eventID, op, target, it)
	if err != nil && a.notInLog != nil && errors.Is(err, a.notInLog) {
		return fmt.Errorf("%w: %w", ErrNotInLog, err)
	}
	return err
}

func (a adapted[R]) Range(ctx context.Context, eventID int64, after int64, limit int) ([]live.Entry, error) {
	return a.l.Range(ctx, eventID, after, limit)
}

// Replay applies entries, in order, to the items they concern: an add puts
// its item into items when keep(seq) says so (nil keeps every add); every
// other op changes an item already there. The result is each item's state
// as live pages hold it.
func Replay(entries []live.Entry, items map[int64]live.Item, keep func(seq int64) bool) {
	for _, e := range entries {
		if e.Op == live.OpAdd {
			if e.Item != nil && (keep == nil || keep(e.Seq)) {
				it := *e.Item
				it.Seq = e.Seq
				items[e.Seq] = it
			}
			continue
		}
		target := e.Target
		if target == 0 && e.Item != nil {
			target = e.Item.Seq
		}
		it, ok := items[target]
		if !ok {
			continue
		}
		if e.Op == live.OpSpotlight {
			continue // changes no item
		}
		if e.Item != nil && !live.Takedown(e.Op) { // ops carry the item's newest content
			flags := it
			it = *e.Item
			it.Seq, it.Hidden, it.Held, it.Pinned, it.Rejected = target, flags.Hidden, flags.Held, flags.Pinned, flags.Rejected
		}
		switch e.Op {
		case live.OpHide:
			it.Hidden = true
		case live.OpUnhide, live.OpApprove: // unhide also approves a held item
			it.Hidden, it.Held, it.Rejected = false, false, false
		case live.OpReject:
			it.Rejected, it.Held = true, false
		case live.OpHold:
			it.Held, it.Rejected = true, false
		case live.OpPin:
			it.Pinned = true
		case live.OpUnpin:
			it.Pinned = false
		}
		items[target] = it
	}
}

// tailPage is how many entries one read of the live log's tail takes.
const tailPage = 1000

// logItems returns the items the live log holds among seqs (nil: every
// item from after on), in their current state: what is not strained yet.
// It reads the log from after to its head.
func (v *Verbs) logItems(ctx context.Context, eventID, after int64, seqs []int64) (map[int64]live.Item, error) {
	out := map[int64]live.Item{}
	if v.log == nil {
		return out, nil
	}
	var keep func(int64) bool
	if seqs != nil {
		want := make(map[int64]bool, len(seqs))
		for _, s := range seqs {
			want[s] = true
		}
		keep = func(seq int64) bool { return want[seq] }
	}
	for {
		es, err := v.log.Range(ctx, eventID, after, tailPage)
		if err != nil {
			return nil, fmt.Errorf("moderation: read the live log of event %d: %w", eventID, err)
		}
		Replay(es, out, keep)
		if len(es) < tailPage {
			return out, nil
		}
		after = es[len(es)-1].Seq
	}
}
