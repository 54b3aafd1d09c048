package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/backchannel/backchannel/live"
)

// The strainer's audience writes: questions, one row per voter, question
// states and merges, reaction totals per minute, and the entries themselves
// for history. They run in the batch's transaction, with its cursor, so a
// batch is copied once; every statement is also idempotent on its own
// (ON CONFLICT, GREATEST, states set to the last one) so a batch repeated
// after a crash changes nothing twice.

// audienceBatch is a batch's audience entries, ready for unnest().
type audienceBatch struct {
	questions questionColumns
	// steps are the vote and state changes in log order, cut at each merge:
	// a merge copies the duplicate's voters as Postgres holds them after
	// every earlier vote, and before any later one.
	steps   []audienceStep
	touched []int64 // questions whose count may have changed
	react   reactionColumns
	log     audienceLogColumns
}

type questionColumns struct {
	id        []int64
	session   []string
	text      []string
	name      []*string
	state     []string
	createdAt []time.Time
}

// audienceStep is either a run of votes and states (folded: the last
// change of each voter and each question wins) or one merge.
type audienceStep struct {
	votes  map[voteKey]int      // +1 present, -1 absent
	states map[int64]stateEntry // question → its last state in the run
	merge  *mergeEntry
}

type voteKey struct {
	question int64
	voter    string
}

type stateEntry struct{ state string }

type mergeEntry struct{ dup, target int64 }

type reactionKey struct{ session, minute, kind string }

type reactionColumns struct {
	session, minute, kind []string
	count                 []int64
}

type audienceLogColumns struct {
	seq    []int64
	op     []string
	public []bool
	entry  []string
}

func newStep() audienceStep {
	return audienceStep{votes: map[voteKey]int{}, states: map[int64]stateEntry{}}
}

func (s audienceStep) empty() bool { return s.merge == nil && len(s.votes) == 0 && len(s.states) == 0 }

// splitAudience collects the audience entries of a batch (in seq order).
func splitAudience(entries []live.Entry) audienceBatch {
	var b audienceBatch
	cur := newStep()
	touched := map[int64]bool{}
	reactions := map[reactionKey]int64{}
	var order []reactionKey
	for _, e := range entries {
		if !live.IsAudienceOp(e.Op) {
			continue
		}
		if raw, err := json.Marshal(e); err == nil {
			b.log.seq = append(b.log.seq, e.Seq)
			b.log.op = append(b.log.op, e.Op)
			b.log.public = append(b.log.public, e.Public())
			b.log.entry = append(b.log.entry, clean(string(raw)))
		}
		switch e.Op {
		case live.OpQuestion:
			q := e.Question
			if q == nil || q.ID <= 0 || q.Text == "" {
				continue
			}
			var name *string
			if q.Name != nil {
				n := clean(*q.Name)
				name = &n
			}
			created := q.CreatedAt
			if created.IsZero() {
				created = time.Now()
			}
			c := &b.questions
			c.id = append(c.id, q.ID)
			c.session = append(c.session, clean(e.Session))
			c.text = append(c.text, clean(q.Text))
			c.name = append(c.name, name)
			c.state = append(c.state, q.State)
			c.createdAt = append(c.createdAt, created.UTC())
		case live.OpVotes:
			if e.Target <= 0 {
				continue
			}
			touched[e.Target] = true
			if e.Voter != "" {
				cur.votes[voteKey{e.Target, clean(e.Voter)}] = e.Delta
			}
		case live.OpQAState:
			q := e.Question
			if q == nil || e.Target <= 0 || !validState(q.State) {
				continue
			}
			if q.MergedInto > 0 {
				if !cur.empty() {
					b.steps = append(b.steps, cur)
					cur = newStep()
				}
				b.steps = append(b.steps, audienceStep{merge: &mergeEntry{dup: e.Target, target: q.MergedInto}})
				touched[q.MergedInto] = true
				continue
			}
			cur.states[e.Target] = stateEntry{state: q.State}
		case live.OpReactions:
			for kind, n := range e.Counts {
				if !live.ValidReaction(kind) || e.Minute == "" || n <= 0 {
					continue
				}
				k := reactionKey{clean(e.Session), e.Minute, kind}
				if _, ok := reactions[k]; !ok {
					order = append(order, k)
				}
				reactions[k] = max(reactions[k], n)
			}
		}
	}
	if !cur.empty() {
		b.steps = append(b.steps, cur)
	}
	for id := range touched {
		b.touched = append(b.touched, id)
	}
	for _, k := range order {
		if _, err := time.Parse(live.MinuteFormat, k.minute); err != nil {
			continue
		}
		b.react.session = append(b.react.session, k.session)
		b.react.minute = append(b.react.minute, k.minute)
		b.react.kind = append(b.react.kind, k.kind)
		b.react.count = append(b.react.count, reactions[k])
	}
	return b
}

func validState(s string) bool {
	switch s {
	case live.QuestionHeld, live.QuestionOpen, live.QuestionAnswering, live.QuestionAnswered, live.QuestionHidden:
		return true
	}
	return false
}

// AudienceEntries is the number of audience entries in the batch.
func (b *StrainBatch) AudienceEntries() int { return len(b.aud.log.seq) }

// ApplyAudience copies the batch's audience entries: questions, votes per
// voter, states and merges in log order, vote counts, reaction totals and
// the entries for history.
func (t *StrainTx) ApplyAudience(ctx context.Context, b *StrainBatch) error {
	a := &b.aud
	if len(a.log.seq) == 0 {
		return nil
	}
	q := &a.questions
	if len(q.id) > 0 {
		if _, err := t.tx.ExecContext(ctx, sqlInsertQuestions, t.eventID, q.id, q.session, q.text, q.name, q.state, q.createdAt); err != nil {
			return fmt.Errorf("store: strain event %d: insert questions: %w", t.eventID, wrap(err))
		}
	}
	for _, s := range a.steps {
		if err := t.applyStep(ctx, s); err != nil {
			return err
		}
	}
	if len(a.touched) > 0 {
		if _, err := t.tx.ExecContext(ctx, sqlCountVotes, t.eventID, a.touched); err != nil {
			return fmt.Errorf("store: strain event %d: count votes: %w", t.eventID, wrap(err))
		}
	}
	r := &a.react
	if len(r.kind) > 0 {
		if _, err := t.tx.ExecContext(ctx, sqlUpsertReactions, t.eventID, r.session, r.minute, r.kind, r.count); err != nil {
			return fmt.Errorf("store: strain event %d: reactions: %w", t.eventID, wrap(err))
		}
	}
	l := &a.log
	if _, err := t.tx.ExecContext(ctx, sqlInsertAudienceLog, t.eventID, l.seq, l.op, l.public, l.entry); err != nil {
		return fmt.Errorf("store: strain event %d: audience history: %w", t.eventID, wrap(err))
	}
	return nil
}

func (t *StrainTx) applyStep(ctx context.Context, s audienceStep) error {
	if m := s.merge; m != nil {
		if _, err := t.tx.ExecContext(ctx, sqlMergeQuestion, t.eventID, m.dup, m.target); err != nil {
			return fmt.Errorf("store: strain event %d: merge question %d into %d: %w", t.eventID, m.dup, m.target, wrap(err))
		}
		if _, err := t.tx.ExecContext(ctx, sqlCopyVoters, t.eventID, m.dup, m.target); err != nil {
			return fmt.Errorf("store: strain event %d: merge voters of %d into %d: %w", t.eventID, m.dup, m.target, wrap(err))
		}
		return nil
	}
	var addQ, delQ []int64
	var addV, delV []string
	for k, d := range s.votes {
		if d > 0 {
			addQ, addV = append(addQ, k.question), append(addV, k.voter)
		} else {
			delQ, delV = append(delQ, k.question), append(delV, k.voter)
		}
	}
	if len(addQ) > 0 {
		if _, err := t.tx.ExecContext(ctx, sqlInsertVotes, t.eventID, addQ, addV); err != nil {
			return fmt.Errorf("store: strain event %d: votes: %w", t.eventID, wrap(err))
		}
	}
	if len(delQ) > 0 {
		if _, err := t.tx.ExecContext(ctx, sqlDeleteVotes, t.eventID, delQ, delV); err != nil {
			return fmt.Errorf("store: strain event %d: votes taken back: %w", t.eventID, wrap(err))
		}
	}
	if len(s.states) > 0 {
		ids := make([]int64, 0, len(s.states))
		states := make([]string, 0, len(s.states))
		for id, st := range s.states {
			ids, states = append(ids, id), append(states, st.state)
		}
		if _, err := t.tx.ExecContext(ctx, sqlSetQuestionStates, t.eventID, ids, states); err != nil {
			return fmt.Errorf("store: strain event %d: question states: %w", t.eventID, wrap(err))
		}
	}
	return nil
}
