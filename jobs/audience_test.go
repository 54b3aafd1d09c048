package jobs

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/realtime"
	"github.com/backchannel/backchannel/store"
)

func (e *env) ask(session, text string) int64 {
	e.t.Helper()
	r, err := e.log.Ask(context.Background(), e.ev.ID, realtime.NewQuestion{Session: session, Text: text,
		Client: realtime.NewClientID(), Now: t0.Add(time.Minute)})
	if err != nil {
		e.t.Fatalf("ask: %v", err)
	}
	return r.Question.ID
}

func (e *env) vote(session string, id int64, voter string, up bool) {
	e.t.Helper()
	if _, err := e.log.Vote(context.Background(), e.ev.ID, session, id, voter, up); err != nil {
		e.t.Fatalf("vote: %v", err)
	}
}

// question reads a strained question and its voters.
func (e *env) question(id int64) (models.Question, []string) {
	e.t.Helper()
	var q models.Question
	if err := e.db.Where("event_id = ? AND id = ?", e.ev.ID, id).Take(&q).Error; err != nil {
		e.t.Fatalf("question %d: %v", id, err)
	}
	var voters []string
	if err := e.db.Raw("SELECT voter FROM question_votes WHERE event_id = ? AND question_id = ? ORDER BY voter", e.ev.ID, id).
		Scan(&voters).Error; err != nil {
		e.t.Fatal(err)
	}
	return q, voters
}

func TestStrainerCopiesQuestionsVotesPerVoterAndStates(t *testing.T) {
	e := newEnv(t)
	keynote := e.session("keynote", t0, t0.Add(time.Hour))
	e.appendN(3)
	a := e.ask("keynote", "Why?")
	b := e.ask("keynote", "How?")
	for _, v := range []struct {
		voter string
		id    int64
		up    bool
	}{{"v1", a, true}, {"v2", a, true}, {"v3", a, true}, {"v2", a, false}, {"v2", a, true}, {"v3", a, false}, {"v1", b, true}} {
		e.vote("keynote", v.id, v.voter, v.up)
	}
	if _, err := e.log.SetQuestionState(context.Background(), e.ev.ID, a, live.QuestionAnswering); err != nil {
		t.Fatal(err)
	}
	s := e.strainer(StrainerOptions{Batch: 4}) // batches cut votes of one voter apart
	if _, err := s.StrainEvent(context.Background(), e.ev.ID); err != nil {
		t.Fatal(err)
	}
	qa, voters := e.question(a)
	if qa.Votes != 2 || fmt.Sprint(voters) != "[v1 v2]" || qa.State != live.QuestionAnswering || qa.Text != "Why?" ||
		qa.SessionID == nil || *qa.SessionID != keynote.ID || qa.Name != nil {
		t.Fatalf("question a = %+v voters %v, want 2 votes (v1, v2), answering, in the keynote, anonymous", qa, voters)
	}
	if qb, voters := e.question(b); qb.Votes != 1 || len(voters) != 1 {
		t.Fatalf("question b = %+v voters %v", qb, voters)
	}
	// Straining again (a replay after a crash) changes nothing.
	if err := e.db.Exec("UPDATE strainer_cursors SET seq = 0 WHERE event_id = ?", e.ev.ID).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := s.StrainEvent(context.Background(), e.ev.ID); err != nil {
		t.Fatal(err)
	}
	if qa, voters := e.question(a); qa.Votes != 2 || len(voters) != 2 {
		t.Fatalf("after replay a = %+v voters %v", qa, voters)
	}
}

func TestStrainerKilledMidBatchCountsEveryVoteOnce(t *testing.T) {
	e := newEnv(t)
	e.session("keynote", t0, t0.Add(time.Hour))
	id := e.ask("keynote", "Crash?")
	for i := range 500 {
		e.vote("keynote", id, fmt.Sprint("voter", i), true)
	}
	s := e.strainer(StrainerOptions{Batch: 200})
	crash := errors.New("worker killed")
	batches := 0
	s.hookAfterInsert = func(int64) error {
		if batches++; batches == 2 {
			return crash
		}
		return nil
	}
	if _, err := s.StrainEvent(context.Background(), e.ev.ID); !errors.Is(err, crash) {
		t.Fatalf("err = %v, want the crash", err)
	}
	s.hookAfterInsert = nil
	if _, err := s.StrainEvent(context.Background(), e.ev.ID); err != nil {
		t.Fatal(err)
	}
	if q, voters := e.question(id); q.Votes != 500 || len(voters) != 500 {
		t.Fatalf("votes %d with %d voters, want 500", q.Votes, len(voters))
	}
}

func TestStrainerMergesVotersInLogOrder(t *testing.T) {
	e := newEnv(t)
	e.session("keynote", t0, t0.Add(time.Hour))
	dup := e.ask("keynote", "Dup")
	target := e.ask("keynote", "Target")
	e.vote("keynote", dup, "both", true)
	e.vote("keynote", target, "both", true)
	e.vote("keynote", dup, "dup-only", true)
	s := e.strainer(StrainerOptions{})
	if _, err := s.StrainEvent(context.Background(), e.ev.ID); err != nil { // the duplicate's voters are in Postgres before the merge
		t.Fatal(err)
	}
	e.vote("keynote", dup, "late", true)
	if _, err := e.log.MergeQuestion(context.Background(), e.ev.ID, dup, target); err != nil {
		t.Fatal(err)
	}
	// The duplicate's voter takes back the vote merged into the target.
	e.vote("keynote", target, "dup-only", false)
	if _, err := s.StrainEvent(context.Background(), e.ev.ID); err != nil {
		t.Fatal(err)
	}
	qt, voters := e.question(target)
	if qt.Votes != 2 || fmt.Sprint(voters) != "[both late]" {
		t.Fatalf("target %+v voters %v, want both and late", qt, voters)
	}
	qd, _ := e.question(dup)
	if qd.State != live.QuestionHidden || qd.MergedInto == nil || *qd.MergedInto != target {
		t.Fatalf("duplicate %+v, want hidden and merged into %d", qd, target)
	}
	list, err := e.log.Questions(context.Background(), e.ev.ID, "keynote")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range list.Questions {
		if q.ID == target && q.Votes != qt.Votes {
			t.Fatalf("Redis counts %d, Postgres %d", q.Votes, qt.Votes)
		}
	}
}

func TestStrainerKeepsReactionTotalsPerMinute(t *testing.T) {
	e := newEnv(t)
	e.session("keynote", t0, t0.Add(time.Hour))
	ctx := context.Background()
	at := t0.Add(90 * time.Second)
	for _, k := range []string{"applause", "applause", "love"} {
		if err := e.log.React(ctx, e.ev.ID, "keynote", k, at); err != nil {
			t.Fatal(err)
		}
	}
	s := e.strainer(StrainerOptions{})
	// The strainer flushes totals no web node flushed (one that died).
	if _, err := s.StrainEvent(ctx, e.ev.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.log.React(ctx, e.ev.ID, "keynote", "applause", at); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StrainEvent(ctx, e.ev.ID); err != nil {
		t.Fatal(err)
	}
	var rows []models.ReactionCount
	if err := e.db.Where("event_id = ?", e.ev.ID).Order("kind").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Kind != "applause" || rows[0].Count != 3 || rows[1].Count != 1 ||
		!rows[0].Minute.Equal(t0.Add(time.Minute)) {
		t.Fatalf("rows %+v, want applause 3 and love 1 in minute 13:01", rows)
	}
}

func TestHistoryFromPostgresCarriesAudienceEntriesButNoHiddenText(t *testing.T) {
	e := newEnv(t)
	e.session("keynote", t0, t0.Add(time.Hour))
	e.appendN(2)
	a := e.ask("keynote", "Kept")
	b := e.ask("keynote", "Rude words")
	e.vote("keynote", a, "v1", true)
	if _, err := e.log.SetQuestionState(context.Background(), e.ev.ID, b, live.QuestionHidden); err != nil {
		t.Fatal(err)
	}
	if _, err := e.strainer(StrainerOptions{}).StrainEvent(context.Background(), e.ev.ID); err != nil {
		t.Fatal(err)
	}
	es, err := store.New(e.db).EntriesAfter(context.Background(), e.ev.ID, 0, 100, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, en := range es {
		ops = append(ops, fmt.Sprintf("%d:%s", en.Seq, en.Op))
		if en.Question != nil && en.Question.Text == "Rude words" {
			t.Fatalf("history gives back a hidden question's text: %+v", en)
		}
	}
	if fmt.Sprint(ops) != "[1:add 2:add 3:question 5:votes 6:qa_state]" {
		t.Fatalf("history %v", ops)
	}
}
