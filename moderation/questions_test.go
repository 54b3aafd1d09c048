package moderation_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/moderation"
	"github.com/backchannel/backchannel/realtime"
	"github.com/backchannel/backchannel/store"
)

// qenv is env with a session and the question verbs over the same stores.
type qenv struct {
	*env
	q *moderation.Questions
}

func newQEnv(t *testing.T) *qenv {
	e := newEnv(t)
	s := models.Session{EventID: e.ev.ID, Slug: "talk", Title: "Talk", StartsAt: e.ev.StartsAt, EndsAt: e.ev.EndsAt}
	if err := e.db.Create(&s).Error; err != nil {
		t.Fatal(err)
	}
	return &qenv{env: e, q: moderation.NewQuestions(store.New(e.db), moderation.QuestionLogOf(e.log, realtime.ErrNoQuestion), nil, nil)}
}

func (e *qenv) ask(text string, held bool) int64 {
	e.t.Helper()
	r, err := e.log.Ask(context.Background(), e.ev.ID, realtime.NewQuestion{Session: "talk", Text: text, Held: held,
		Client: realtime.NewClientID(), Now: time.Now()})
	if err != nil {
		e.t.Fatal(err)
	}
	return r.Question.ID
}

func (e *qenv) stateOf(id int64) (logState, rowState string) {
	e.t.Helper()
	q, err := e.log.Question(context.Background(), e.ev.ID, id)
	if err != nil {
		e.t.Fatal(err)
	}
	var row models.Question
	e.db.Where("event_id = ? AND id = ?", e.ev.ID, id).Take(&row)
	return q.State, row.State
}

func (e *qenv) audits(id int64) []models.AuditEntry {
	e.t.Helper()
	var out []models.AuditEntry
	if err := e.db.Where("object_type = 'question' AND object_id = ?", store.ID(id)).Order("id").Find(&out).Error; err != nil {
		e.t.Fatal(err)
	}
	return out
}

func TestQuestionVerbsChangePostgresAuditAndTellTheLog(t *testing.T) {
	e := newQEnv(t)
	ctx := context.Background()
	a := e.ask("stored", false)
	e.strain()
	b := e.ask("not strained yet", false)
	for _, id := range []int64{a, b} {
		res, err := e.q.Do(ctx, e.mod, e.ev.ID, moderation.QuestionAnswering, id)
		if err != nil || !res.Changed || res.LiveErr != nil {
			t.Fatalf("answering %d: %+v, %v", id, res, err)
		}
	}
	// b took a's place: a is answered, in the log at once and in Postgres.
	if l, r := e.stateOf(a); l != live.QuestionAnswered || r != live.QuestionAnswered {
		t.Fatalf("a: log %s, row %s; want answered", l, r)
	}
	if l, _ := e.stateOf(b); l != live.QuestionAnswering {
		t.Fatalf("b in the log: %s", l)
	}
	e.strain()
	if l, r := e.stateOf(b); l != live.QuestionAnswering || r != live.QuestionAnswering {
		t.Fatalf("b after straining: log %s, row %s", l, r)
	}
	if got := e.audits(a); len(got) != 2 || got[0].Action != "answering" || got[1].Action != "answered" || got[0].UserID == nil {
		t.Fatalf("audit of a %+v, want answering then answered by the moderator", got)
	}
	if got := e.audits(b); len(got) != 1 || got[0].Message == "" {
		t.Fatalf("audit of b %+v, want one row saying the strainer applies it", got)
	}
	// Doing it again changes nothing.
	if res, err := e.q.Do(ctx, e.mod, e.ev.ID, moderation.QuestionAnswering, b); err != nil || res.Changed {
		t.Fatalf("again: %+v, %v", res, err)
	}
}

func TestApprovingAHeldQuestionShowsItAndRefusesWhatDoesNotApply(t *testing.T) {
	e := newQEnv(t)
	ctx := context.Background()
	id := e.ask("held one", true)
	var verr *models.ValidationError
	if _, err := e.q.Do(ctx, e.mod, e.ev.ID, moderation.QuestionAnswering, id); !errors.As(err, &verr) {
		t.Fatalf("answering a held question: %v, want a validation error", err)
	}
	if res, err := e.q.Do(ctx, e.mod, e.ev.ID, moderation.QuestionApprove, id); err != nil || !res.Changed {
		t.Fatalf("approve: %+v, %v", res, err)
	}
	e.strain()
	if l, r := e.stateOf(id); l != live.QuestionOpen || r != live.QuestionOpen {
		t.Fatalf("log %s, row %s; want open", l, r)
	}
	if _, err := e.q.Do(ctx, e.mod, e.ev.ID, moderation.QuestionApprove, 999); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("unknown question: %v", err)
	}
}

func TestMergeCombinesVotersInRedisAndPostgres(t *testing.T) {
	e := newQEnv(t)
	ctx := context.Background()
	dup, target := e.ask("dup", false), e.ask("target", false)
	for _, v := range []struct {
		voter string
		id    int64
	}{{"both", dup}, {"both", target}, {"one", dup}} {
		if _, err := e.log.Vote(ctx, e.ev.ID, "talk", v.id, v.voter, true); err != nil {
			t.Fatal(err)
		}
	}
	e.strain()
	res, err := e.q.Merge(ctx, e.mod, e.ev.ID, dup, target)
	if err != nil || !res.Changed || !res.Stored {
		t.Fatalf("merge: %+v, %v", res, err)
	}
	var row models.Question
	e.db.Where("event_id = ? AND id = ?", e.ev.ID, target).Take(&row)
	q, _ := e.log.Question(ctx, e.ev.ID, target)
	if row.Votes != 2 || q.Votes != 2 {
		t.Fatalf("votes: Postgres %d, Redis %d; want 2 voters each counted once", row.Votes, q.Votes)
	}
	e.strain() // the strainer applies the same merge again: nothing changes
	e.db.Where("event_id = ? AND id = ?", e.ev.ID, target).Take(&row)
	if row.Votes != 2 {
		t.Fatalf("after straining the merge: %d votes", row.Votes)
	}
	var verr *models.ValidationError
	if _, err := e.q.Merge(ctx, e.mod, e.ev.ID, target, target); !errors.As(err, &verr) {
		t.Fatalf("merge into itself: %v", err)
	}
}
