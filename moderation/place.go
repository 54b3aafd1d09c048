package moderation

import (
	"context"
	"errors"
	"fmt"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// Place puts items in a session as a moderator's placement: a post the
// rule left "to place", or one it put in the wrong talk. Like every verb it
// writes the change and one audit row per item in one transaction, then
// appends an update op carrying the item with its new session and room
// (Placed set), whether the item is strained yet or not: the strainer
// stores a placement it copies later as the moderator's. A moderator's
// placement outlives every later automatic re-assignment and re-import
// (unless its session is deleted). Items already placed there by a
// moderator are left alone.
func (v *Verbs) Place(ctx context.Context, by store.Actor, eventID int64, session string, seqs ...int64) (Result, error) {
	sess, err := v.st.SessionBySlug(ctx, eventID, session)
	if err != nil {
		return Result{}, err
	}
	seqs = sortedUnique(seqs)
	type placed struct {
		seq    int64
		stored bool
		item   *live.Item
	}
	var plan []placed
	err = v.st.Tx(ctx, func(tx *store.Store) error {
		here, err := tx.LockItemPlaces(ctx, eventID, seqs)
		if err != nil {
			return err
		}
		var missing, rows []int64
		for _, seq := range seqs {
			if _, ok := here[seq]; !ok {
				missing = append(missing, seq)
			}
		}
		logged := map[int64]live.Item{}
		if len(missing) > 0 {
			if logged, err = v.logItems(ctx, eventID, missing[0]-1, missing); err != nil {
				return err
			}
		}
		for _, seq := range seqs {
			p := placed{seq: seq}
			var before map[string]any
			if at, ok := here[seq]; ok {
				if at.Placement == models.PlacedManually && at.SessionID == sess.ID {
					continue
				}
				p.stored = true
				before = map[string]any{"session": at.SessionSlug, "placement": at.Placement}
				rows = append(rows, seq)
			} else if it, ok := logged[seq]; ok {
				if it.Placed && it.Session == sess.Slug {
					continue
				}
				before = map[string]any{"session": it.Session}
				it.Session, it.Room, it.Placed = sess.Slug, sess.RoomSlug(), true
				p.item = &it
			} else {
				return models.NotFound("item", seq)
			}
			msg := "placed by a moderator"
			if !p.stored {
				msg += "; not strained yet: the strainer applies it"
			}
			if err := tx.Audit(ctx, store.Change{Actor: by, Action: "place", ObjectType: "item", ObjectID: store.ID(seq),
				EventID: eventID, Before: before, After: map[string]any{"session": sess.Slug, "placement": models.PlacedManually},
				Message: msg}); err != nil {
				return err
			}
			plan = append(plan, p)
		}
		return tx.PlaceItems(ctx, eventID, rows, sess.ID)
	})
	if err != nil {
		return Result{}, fmt.Errorf("moderation: place items %v of event %d in %q: %w", seqs, eventID, session, err)
	}
	var res Result
	if len(plan) == 0 {
		return res, nil
	}
	defer v.changed(ctx, eventID)
	var stored []int64
	for _, p := range plan {
		res.Changed = append(res.Changed, p.seq)
		if p.stored {
			stored = append(stored, p.seq)
		} else {
			res.Unstrained = append(res.Unstrained, p.seq)
		}
	}
	if v.log == nil {
		return res, nil
	}
	items, err := v.st.ItemsForOps(ctx, eventID, stored)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for _, p := range plan {
		it := p.item
		if p.stored {
			x, ok := items[p.seq]
			if !ok {
				continue
			}
			it = &x
		}
		err := v.log.AppendOp(ctx, eventID, live.OpUpdate, p.seq, it)
		if errors.Is(err, ErrNotInLog) && p.stored {
			continue // Postgres has it; pages learn it at their next snapshot
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
		v.opts.Logger.Error("moderation: placement committed, live log not told", "event", eventID, "err", res.LiveErr)
	}
	return res, nil
}
