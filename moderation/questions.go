package moderation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// QuestionLog is the live log as the question verbs use it (the realtime
// log in production): questions' current states, and the scripts that
// change them and append their entries.
type QuestionLog interface {
	// Question returns a question as the log holds it now; an error
	// matching ErrQuestionNotInLog when the log does not know it.
	Question(ctx context.Context, eventID, id int64) (live.Question, error)
	// SetQuestionState sets a state and appends its qa_state entry (and
	// one for the session's previous question being answered).
	SetQuestionState(ctx context.Context, eventID, id int64, state string) (int64, error)
	// MergeQuestion hides dup as merged into target and appends the new
	// count of target's voters, each once.
	MergeQuestion(ctx context.Context, eventID, dup, target int64) (int64, error)
}

// ErrQuestionNotInLog is what QuestionLogOf reports for a question the
// live log does not hold.
var ErrQuestionNotInLog = errors.New("moderation: the live log does not hold the question")

// QuestionLogOf adapts the realtime log (whose unknown question error is
// noQuestion, realtime.ErrNoQuestion) to QuestionLog.
func QuestionLogOf(l QuestionLog, noQuestion error) QuestionLog { return questionLog{l, noQuestion} }

type questionLog struct {
	QuestionLog
	noQuestion error
}

func (q questionLog) mapped(err error) error {
	if err != nil && errors.Is(err, q.noQuestion) {
		return fmt.Errorf("%w: %w", ErrQuestionNotInLog, err)
	}
	return err
}

func (q questionLog) Question(ctx context.Context, eventID, id int64) (live.Question, error) {
	out, err := q.QuestionLog.Question(ctx, eventID, id)
	return out, q.mapped(err)
}

func (q questionLog) SetQuestionState(ctx context.Context, eventID, id int64, state string) (int64, error) {
	seq, err := q.QuestionLog.SetQuestionState(ctx, eventID, id, state)
	return seq, q.mapped(err)
}

func (q questionLog) MergeQuestion(ctx context.Context, eventID, dup, target int64) (int64, error) {
	n, err := q.QuestionLog.MergeQuestion(ctx, eventID, dup, target)
	return n, q.mapped(err)
}

// Question verbs: what a moderator can do to an audience question.
const (
	QuestionApprove   = "approve"   // a held question is shown
	QuestionHide      = "hide"      // taken off every page
	QuestionUnhide    = "unhide"    // shown again
	QuestionAnswering = "answering" // being answered now (the previous one is answered)
	QuestionAnswered  = "answered"  // answered
	QuestionReopen    = "reopen"    // open again
)

// QuestionVerbs lists the state verbs in the order the console shows them.
var QuestionVerbs = []string{QuestionApprove, QuestionAnswering, QuestionAnswered, QuestionReopen, QuestionHide, QuestionUnhide}

// questionVerb is a verb's target state and the states it applies to.
type questionVerb struct {
	state string
	from  func(live.Question) bool
	why   string // why it does not apply
}

var questionVerbs = map[string]questionVerb{
	QuestionApprove: {live.QuestionOpen, func(q live.Question) bool { return q.State == live.QuestionHeld },
		"only a held question can be approved"},
	QuestionHide: {live.QuestionHidden, func(q live.Question) bool { return q.State != live.QuestionHidden },
		"the question is hidden already"},
	QuestionUnhide: {live.QuestionOpen, func(q live.Question) bool { return q.State == live.QuestionHidden && q.MergedInto == 0 },
		"only a hidden question that was not merged can be shown again"},
	QuestionAnswering: {live.QuestionAnswering, func(q live.Question) bool { return q.Public() },
		"only a shown question can be answered"},
	QuestionAnswered: {live.QuestionAnswered, func(q live.Question) bool { return q.Public() },
		"only a shown question can be answered"},
	QuestionReopen: {live.QuestionOpen, func(q live.Question) bool { return q.Public() },
		"only a shown question can be reopened"},
}

// QuestionResult is what a question verb did.
type QuestionResult struct {
	// Changed is false when the question was already so (no audit row, no entry).
	Changed bool
	// Stored says Postgres held the question (its row changed with the audit
	// row); otherwise the transaction held only the audit row and the
	// strainer applies the entry when it copies the question.
	Stored bool
	// LiveErr is set when the change is committed but the live log could
	// not be told: archives have it, open pages do not yet.
	LiveErr error
	// NotTold: the question is not stored yet and the live log, its only
	// carrier, could not be told: the change has no effect; do it again.
	NotTold bool
}

// Questions are the moderation verbs of audience questions: each writes
// its Postgres change (when the strainer has copied the question) and its
// audit row in one transaction, then tells the live log, which every open
// page follows and from which the strainer copies the change again.
type Questions struct {
	st      *store.Store
	log     QuestionLog // nil: Postgres only
	changed func(ctx context.Context, eventID int64)
	logger  *slog.Logger
}

// NewQuestions returns the question verbs over st and log (log nil for
// tools without Redis). changed, when set, is told after each commit.
func NewQuestions(st *store.Store, log QuestionLog, changed func(ctx context.Context, eventID int64), logger *slog.Logger) *Questions {
	if logger == nil {
		logger = slog.Default()
	}
	return &Questions{st: st, log: log, changed: changed, logger: logger}
}

// Current returns a question's state: the live log's when it holds it
// (it is ahead of Postgres), else Postgres's; models.NotFound otherwise.
func (v *Questions) Current(ctx context.Context, eventID, id int64) (live.Question, error) {
	if v.log != nil {
		q, err := v.log.Question(ctx, eventID, id)
		if err == nil {
			return q, nil
		}
		if !errors.Is(err, ErrQuestionNotInLog) {
			return live.Question{}, err
		}
	}
	q, err := v.st.QuestionByID(ctx, eventID, id)
	if err != nil {
		return live.Question{}, err
	}
	return q.Live(), nil
}

// Do runs the state verb named verb (QuestionApprove, …) on question id.
func (v *Questions) Do(ctx context.Context, by store.Actor, eventID int64, verb string, id int64) (QuestionResult, error) {
	vb, ok := questionVerbs[verb]
	if !ok {
		return QuestionResult{}, fmt.Errorf("moderation: unknown question verb %q", verb)
	}
	q, err := v.Current(ctx, eventID, id)
	if err != nil {
		return QuestionResult{}, err
	}
	if q.State == vb.state && (verb != QuestionUnhide || q.MergedInto == 0) {
		return QuestionResult{}, nil
	}
	if !vb.from(q) {
		return QuestionResult{}, &models.ValidationError{Fields: []models.FieldError{{Field: "state", Message: vb.why}}}
	}
	var res QuestionResult
	err = v.st.Tx(ctx, func(tx *store.Store) error {
		_, stored, err := tx.LockQuestion(ctx, eventID, id)
		if err != nil {
			return err
		}
		res.Stored = stored
		msg := ""
		if stored {
			if _, err := tx.SetQuestionState(ctx, eventID, id, vb.state); err != nil {
				return err
			}
		} else {
			msg = "not strained yet: the strainer applies it"
		}
		if vb.state == live.QuestionAnswering {
			// The session's previous question being answered is answered now
			// (the live log does the same in the same step).
			prev, err := tx.AnsweredBefore(ctx, eventID, q.Session, id)
			if err != nil {
				return err
			}
			for _, p := range prev {
				if err := tx.Audit(ctx, store.Change{Actor: by, Action: QuestionAnswered, ObjectType: "question", ObjectID: store.ID(p),
					EventID: eventID, Before: map[string]any{"state": live.QuestionAnswering}, After: map[string]any{"state": live.QuestionAnswered},
					Message: fmt.Sprintf("question %d is being answered now", id)}); err != nil {
					return err
				}
			}
		}
		return tx.Audit(ctx, store.Change{Actor: by, Action: verb, ObjectType: "question", ObjectID: store.ID(id), EventID: eventID,
			Before: map[string]any{"state": q.State}, After: map[string]any{"state": vb.state}, Message: msg})
	})
	if err != nil {
		return QuestionResult{}, fmt.Errorf("moderation: %s question %d of event %d: %w", verb, id, eventID, err)
	}
	res.Changed = true
	if v.changed != nil {
		defer v.changed(ctx, eventID)
	}
	if v.log != nil {
		if _, err := v.log.SetQuestionState(ctx, eventID, id, vb.state); err != nil {
			v.told(&res, eventID, err)
		}
	}
	return res, nil
}

// Merge merges question dup into target (a duplicate asked twice): the
// target's votes become the voters of both, each counted once, and dup is
// hidden as merged into it. Both must be of one session and target shown.
func (v *Questions) Merge(ctx context.Context, by store.Actor, eventID, dup, target int64) (QuestionResult, error) {
	d, err := v.Current(ctx, eventID, dup)
	if err != nil {
		return QuestionResult{}, err
	}
	t, err := v.Current(ctx, eventID, target)
	if err != nil {
		return QuestionResult{}, err
	}
	if d.MergedInto == target {
		return QuestionResult{}, nil
	}
	switch {
	case dup == target:
		return QuestionResult{}, mergeError("a question cannot be merged into itself")
	case d.Session != t.Session:
		return QuestionResult{}, mergeError("questions of different sessions cannot be merged")
	case !t.Public():
		return QuestionResult{}, mergeError(fmt.Sprintf("question %d is not shown: merge into a shown question", target))
	case d.MergedInto != 0:
		return QuestionResult{}, mergeError(fmt.Sprintf("question %d was merged into question %d already", dup, d.MergedInto))
	}
	var res QuestionResult
	err = v.st.Tx(ctx, func(tx *store.Store) error {
		_, dStored, err := tx.LockQuestion(ctx, eventID, dup)
		if err != nil {
			return err
		}
		_, tStored, err := tx.LockQuestion(ctx, eventID, target)
		if err != nil {
			return err
		}
		res.Stored = dStored && tStored
		msg := fmt.Sprintf("merged into question %d", target)
		if res.Stored {
			if err := tx.MergeQuestions(ctx, eventID, dup, target); err != nil {
				return err
			}
		} else {
			msg += "; not strained yet: the strainer applies it"
		}
		return tx.Audit(ctx, store.Change{Actor: by, Action: "merge", ObjectType: "question", ObjectID: store.ID(dup), EventID: eventID,
			Before: map[string]any{"state": d.State}, After: map[string]any{"state": live.QuestionHidden, "merged_into": target}, Message: msg})
	})
	if err != nil {
		return QuestionResult{}, fmt.Errorf("moderation: merge question %d into %d of event %d: %w", dup, target, eventID, err)
	}
	res.Changed = true
	if v.changed != nil {
		defer v.changed(ctx, eventID)
	}
	if v.log != nil {
		if _, err := v.log.MergeQuestion(ctx, eventID, dup, target); err != nil {
			v.told(&res, eventID, err)
		}
	}
	return res, nil
}

func mergeError(msg string) error {
	return &models.ValidationError{Fields: []models.FieldError{{Field: "into", Message: msg}}}
}

// told records that the live log could not be told of a committed change.
func (v *Questions) told(res *QuestionResult, eventID int64, err error) {
	if errors.Is(err, ErrQuestionNotInLog) && res.Stored {
		return // Postgres, which archives read, is the only record now
	}
	res.LiveErr = fmt.Errorf("moderation: tell live pages of event %d: %w", eventID, err)
	res.NotTold = !res.Stored
	v.logger.Error("moderation: question change committed, live log not told", "event", eventID, "err", err)
}
