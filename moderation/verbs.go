package moderation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// Options tunes Verbs; zero values take the defaults.
type Options struct {
	// Changed, when set, is told after each committed change to an event's
	// items or rules (the wiring re-renders the event's archive pages).
	Changed func(ctx context.Context, eventID int64)
	// RulesTTL is how long ScreenPost keeps an event's rules (default 5 s):
	// a burst of posts reads them once; a ban made through these verbs is
	// seen at once by this process, by the others within RulesTTL.
	RulesTTL time.Duration
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Keys seal room posters' identities into their posts (Item.Poster),
	// so bans follow a browser and an address rather than a typed name.
	// nil: room posters are banned by name only.
	Keys Keyring
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Verbs are the moderation verbs over one store and one live log. Each verb
// writes its Postgres change and one audit row per item in one transaction,
// then appends its live-log op, whether the item has been strained into
// Postgres yet or not (the strainer applies logged ops to the rows it copies
// later). It is safe for concurrent use.
type Verbs struct {
	st   *store.Store
	log  Log
	opts Options

	mu    sync.Mutex
	rules map[int64]cachedRules
}

type cachedRules struct {
	rules   Rules
	expires time.Time
	stale   bool // the last read failed: these are the last good copy
}

// New returns the verbs over st and log (nil log: Postgres only, for tools
// that run without Redis).
func New(st *store.Store, log Log, opts Options) *Verbs {
	if opts.RulesTTL <= 0 {
		opts.RulesTTL = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Verbs{st: st, log: log, opts: opts, rules: map[int64]cachedRules{}}
}

// Result is what a verb did.
type Result struct {
	// Changed are the items whose state changed, in seq order: each has
	// one audit row and one live-log op. Items already in the wanted state
	// are left alone (no row, no op).
	Changed []int64
	// Unstrained are those of Changed that only the live log held: no row
	// changed in Postgres; the strainer applies the op when it copies them.
	Unstrained []int64
	// LiveErr is set when the change is committed but the live log could
	// not be told: archives have it; open live pages learn it at their next
	// snapshot.
	LiveErr error
	// NotTold are the items of Unstrained whose op did not reach the live
	// log: the log is their only carrier until the strainer copies them, so
	// the change has no effect beyond its audit row; do it again.
	NotTold []int64
}

// flags is an item's moderation state.
type flags struct {
	Hidden, Pinned bool
	Review         string
}

func (f flags) with(ch store.ItemChange) flags {
	if ch.Hidden != nil {
		f.Hidden = *ch.Hidden
	}
	if ch.Pinned != nil {
		f.Pinned = *ch.Pinned
	}
	if ch.Review != nil {
		f.Review = *ch.Review
	}
	return f
}

// diff returns the columns that differ between f and g, as the audit log
// keeps a change: {"hidden": false} → {"hidden": true}.
func (f flags) diff(g flags) (before, after map[string]any) {
	before, after = map[string]any{}, map[string]any{}
	if f.Hidden != g.Hidden {
		before["hidden"], after["hidden"] = f.Hidden, g.Hidden
	}
	if f.Pinned != g.Pinned {
		before["pinned"], after["pinned"] = f.Pinned, g.Pinned
	}
	if f.Review != g.Review {
		before["review"], after["review"] = f.Review, g.Review
	}
	return before, after
}

func flagsOfStored(f store.ItemFlags) flags {
	return flags{Hidden: f.Hidden, Pinned: f.Pinned, Review: f.Review}
}

func flagsOfLive(it live.Item) flags {
	return flags{Hidden: it.Hidden, Pinned: it.Pinned, Review: it.Review()}
}

// verb is one item verb: what it sets and which op tells live pages.
type verb struct {
	action string // the audit log's action
	set    store.ItemChange
	// op is the live-log op for a change from before to after; "" for none.
	op func(before, after flags, stored bool) string
}

func ptr[T any](v T) *T { return &v }

var (
	verbHide   = verb{"hide", store.ItemChange{Hidden: ptr(true)}, always(live.OpHide)}
	verbUnhide = verb{"unhide", store.ItemChange{Hidden: ptr(false), Review: ptr(models.ReviewApproved)}, always(live.OpUnhide)}
	verbPin    = verb{"pin", store.ItemChange{Pinned: ptr(true)}, always(live.OpPin)}
	verbUnpin  = verb{"unpin", store.ItemChange{Pinned: ptr(false)}, always(live.OpUnpin)}
	// Approving shows the item and records the approval; the live log
	// carries it (approve), so an item not strained yet is stored approved.
	verbApprove = verb{"approve", store.ItemChange{Hidden: ptr(false), Review: ptr(models.ReviewApproved)}, always(live.OpApprove)}
	// Rejecting takes the item off every public view for good; the live log
	// carries it (reject), so an item not strained yet is stored rejected.
	verbReject = verb{"reject", store.ItemChange{Review: ptr(models.ReviewRejected)}, always(live.OpReject)}
	// Holding takes a shown item off public views until a moderator
	// approves or rejects it (attendees' reports, a moderator's second look).
	verbHold = verb{"hold", store.ItemChange{Review: ptr(models.ReviewPending)}, always(live.OpHold)}
)

func always(op string) func(flags, flags, bool) string {
	return func(flags, flags, bool) string { return op }
}

// Hide takes items off every public view.
func (v *Verbs) Hide(ctx context.Context, by store.Actor, eventID int64, seqs ...int64) (Result, error) {
	return v.itemVerb(ctx, by, eventID, seqs, verbHide, "")
}

// Unhide shows items again (a held or rejected item is approved with it,
// as the live log's unhide does).
func (v *Verbs) Unhide(ctx context.Context, by store.Actor, eventID int64, seqs ...int64) (Result, error) {
	return v.itemVerb(ctx, by, eventID, seqs, verbUnhide, "")
}

// Pin keeps items at the top of live pages.
func (v *Verbs) Pin(ctx context.Context, by store.Actor, eventID int64, seqs ...int64) (Result, error) {
	return v.itemVerb(ctx, by, eventID, seqs, verbPin, "")
}

// Unpin lets items take their place in time again.
func (v *Verbs) Unpin(ctx context.Context, by store.Actor, eventID int64, seqs ...int64) (Result, error) {
	return v.itemVerb(ctx, by, eventID, seqs, verbUnpin, "")
}

// Approve shows held items.
func (v *Verbs) Approve(ctx context.Context, by store.Actor, eventID int64, seqs ...int64) (Result, error) {
	return v.itemVerb(ctx, by, eventID, seqs, verbApprove, "")
}

// Reject keeps held items off every public view for good (and takes down
// any that were shown).
func (v *Verbs) Reject(ctx context.Context, by store.Actor, eventID int64, seqs ...int64) (Result, error) {
	return v.itemVerb(ctx, by, eventID, seqs, verbReject, "")
}

// Hold takes shown items off public views until a moderator decides.
func (v *Verbs) Hold(ctx context.Context, by store.Actor, eventID int64, seqs ...int64) (Result, error) {
	return v.itemVerb(ctx, by, eventID, seqs, verbHold, "")
}

// Do runs the verb named by op (live.OpHide, live.OpUnhide, live.OpPin,
// live.OpUnpin, live.OpApprove, live.OpReject or live.OpHold).
func (v *Verbs) Do(ctx context.Context, by store.Actor, eventID int64, op string, seqs ...int64) (Result, error) {
	for _, vb := range []verb{verbHide, verbUnhide, verbPin, verbUnpin, verbApprove, verbReject, verbHold} {
		if vb.action == op {
			return v.itemVerb(ctx, by, eventID, seqs, vb, "")
		}
	}
	return Result{}, fmt.Errorf("moderation: unknown verb %q", op)
}

// planned is one item a verb changes.
type planned struct {
	seq           int64
	before, after flags
	stored        bool
	item          *live.Item // the log's state of an unstrained item
}

// itemVerb runs vb on seqs: the change and its audit rows in one
// transaction, then the live-log ops.
func (v *Verbs) itemVerb(ctx context.Context, by store.Actor, eventID int64, seqs []int64, vb verb, note string) (Result, error) {
	var plan []planned
	err := v.st.Tx(ctx, func(tx *store.Store) error {
		var err error
		plan, err = v.apply(ctx, tx, by, eventID, seqs, vb, note)
		return err
	})
	if err != nil {
		return Result{}, fmt.Errorf("moderation: %s items %v of event %d: %w", vb.action, seqs, eventID, err)
	}
	return v.tell(ctx, eventID, vb, plan), nil
}

// apply changes seqs inside tx and writes one audit row per changed item,
// for items Postgres holds and items only the live log holds alike. An
// item neither holds is models.NotFound and nothing changes.
func (v *Verbs) apply(ctx context.Context, tx *store.Store, by store.Actor, eventID int64, seqs []int64, vb verb, note string) ([]planned, error) {
	seqs = sortedUnique(seqs)
	if len(seqs) == 0 {
		return nil, nil
	}
	stored, err := tx.LockItemFlags(ctx, eventID, seqs)
	if err != nil {
		return nil, err
	}
	var missing []int64
	for _, seq := range seqs {
		if _, ok := stored[seq]; !ok {
			missing = append(missing, seq)
		}
	}
	logged := map[int64]live.Item{}
	if len(missing) > 0 {
		if logged, err = v.logItems(ctx, eventID, missing[0]-1, missing); err != nil {
			return nil, err
		}
	}
	var plan []planned
	var changedRows []int64
	for _, seq := range seqs {
		p := planned{seq: seq}
		if f, ok := stored[seq]; ok {
			p.before, p.stored = flagsOfStored(f), true
		} else if it, ok := logged[seq]; ok {
			p.before, p.item = flagsOfLive(it), &it
		} else {
			return nil, models.NotFound("item", seq)
		}
		p.after = p.before.with(vb.set)
		if p.after == p.before {
			continue
		}
		before, after := p.before.diff(p.after)
		msg := note
		if !p.stored {
			msg = joinNote(msg, "not strained yet: the strainer applies it")
		}
		if err := tx.Audit(ctx, store.Change{Actor: by, Action: vb.action, ObjectType: "item", ObjectID: store.ID(seq),
			EventID: eventID, Before: before, After: after, Message: msg}); err != nil {
			return nil, err
		}
		if p.stored {
			changedRows = append(changedRows, seq)
		}
		plan = append(plan, p)
	}
	if err := tx.ChangeItems(ctx, eventID, changedRows, vb.set); err != nil {
		return nil, err
	}
	return plan, nil
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// tell appends the ops of a committed plan to the live log. Items the log
// no longer holds are skipped: Postgres, and so every archive, has the
// change already.
func (v *Verbs) tell(ctx context.Context, eventID int64, vb verb, plan []planned) Result {
	var res Result
	for _, p := range plan {
		res.Changed = append(res.Changed, p.seq)
		if !p.stored {
			res.Unstrained = append(res.Unstrained, p.seq)
		}
	}
	if len(plan) == 0 {
		return res
	}
	defer v.changed(ctx, eventID)
	if v.log == nil {
		return res
	}
	var need []int64
	for _, p := range plan {
		if p.stored && !live.Takedown(vb.op(p.before, p.after, p.stored)) {
			need = append(need, p.seq)
		}
	}
	var errs []error
	items, err := v.st.ItemsForOps(ctx, eventID, need)
	if err != nil {
		errs = append(errs, err) // their ops cannot carry the item: skipped below
	}
	for _, p := range plan {
		op := vb.op(p.before, p.after, p.stored)
		if op == "" {
			continue
		}
		var it *live.Item
		if !live.Takedown(op) {
			if p.item != nil {
				it = p.item
			} else if x, ok := items[p.seq]; ok {
				it = &x
			} else {
				continue // unread, or gone since the commit (its event was deleted)
			}
		}
		err := v.log.AppendOp(ctx, eventID, op, p.seq, it)
		if errors.Is(err, ErrNotInLog) && p.stored {
			v.opts.Logger.Debug("moderation: op target no longer in the live log", "event", eventID, "seq", p.seq, "op", op)
			continue
		}
		if err != nil {
			errs = append(errs, err)
			if !p.stored {
				res.NotTold = append(res.NotTold, p.seq)
			}
		}
	}
	if len(errs) > 0 {
		res.LiveErr = fmt.Errorf("moderation: tell live pages of event %d: %w", eventID, errors.Join(errs...))
		v.opts.Logger.Error("moderation: change committed, live log not told", "event", eventID, "err", res.LiveErr)
	}
	return res
}

func (v *Verbs) changed(ctx context.Context, eventID int64) {
	if v.opts.Changed != nil {
		v.opts.Changed(ctx, eventID)
	}
}

// Item returns one item in its current state: from Postgres, or from the
// live log while it is not strained yet; models.NotFound when neither has it.
func (v *Verbs) Item(ctx context.Context, eventID, seq int64) (live.Item, error) {
	items, err := v.st.ItemsForOps(ctx, eventID, []int64{seq})
	if err != nil {
		return live.Item{}, err
	}
	if it, ok := items[seq]; ok {
		return it, nil
	}
	logged, err := v.logItems(ctx, eventID, seq-1, []int64{seq})
	if err != nil {
		return live.Item{}, err
	}
	if it, ok := logged[seq]; ok {
		return it, nil
	}
	return live.Item{}, models.NotFound("item", seq)
}

func sortedUnique(xs []int64) []int64 {
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}
