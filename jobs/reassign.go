package jobs

import (
	"context"
	"fmt"

	"github.com/backchannel/backchannel/archive/stamp"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// reassignPage is how many items Reassign reads and writes at a time.
const reassignPage = 5000

// ReassignResult says what a re-assignment did.
type ReassignResult struct {
	Items int // stored items read
	Moved int // items whose session or rule changed
}

// Reassign places every strained item of an event again by the rule
// (package schedule), after an organizer edited or imported the schedule.
// A moderator's placement is kept (unless its session was deleted). It
// first waits for a strainer batch in flight, so no item is placed with
// the schedule as it was before the edit; then it reads and writes the
// items a page at a time, without holding the strainer up. Running it twice
// changes nothing but the archive stamp, which it always bumps: titles and
// times changed too.
func (s *Strainer) Reassign(ctx context.Context, eventID int64) (ReassignResult, error) {
	var res ReassignResult
	if err := s.store.WaitForStrain(ctx, eventID); err != nil {
		return res, fmt.Errorf("jobs: reassign: %w", err)
	}
	sched, err := loadSchedule(ctx, s.store, eventID)
	if err != nil {
		return res, err
	}
	place := placer(sched)
	var after int64
	for {
		rows, err := s.store.PlacementInputs(ctx, eventID, after, reassignPage)
		if err != nil {
			return res, fmt.Errorf("jobs: reassign: %w", err)
		}
		var changes []store.PlacementChange
		for _, r := range rows {
			after = r.Seq
			res.Items++
			if r.Rule == models.PlacedManually && r.SessionID != 0 {
				continue
			}
			it := live.Item{Source: r.Source, Text: r.Text, HTML: r.HTML, Author: live.Author{Handle: r.AuthorHandle},
				CreatedAt: r.CreatedAt}
			if from := sched.ByID(r.FromSessionID); from != nil {
				it.FromSession = from.Slug
			}
			p := place(&it)
			if p.SessionID != r.SessionID || p.Rule != r.Rule {
				changes = append(changes, store.PlacementChange{Seq: r.Seq, SessionID: p.SessionID, Rule: p.Rule})
			}
		}
		if err := s.store.SetPlacements(ctx, eventID, changes); err != nil {
			return res, fmt.Errorf("jobs: reassign: %w", err)
		}
		res.Moved += len(changes)
		if len(rows) < reassignPage {
			break
		}
	}
	// Bumped even when no item moved: the sessions themselves (times,
	// titles) changed, and the archive pages show them.
	if s.opts.Redis != nil {
		if _, err := stamp.Bump(ctx, s.opts.Redis, s.opts.Namespace, eventID); err != nil {
			s.opts.Logger.Warn("strainer: bump archive stamp", "event", eventID, "err", err)
		}
	}
	return res, nil
}
