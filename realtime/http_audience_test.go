package realtime

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backchannel/backchannel/internal/apitest"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// newAudienceEnv is a live env whose event takes questions as qa says,
// with two sessions: "keynote" (now) and "closing" (later).
func newAudienceEnv(t *testing.T, qa string, tweak func(*HandlerDeps)) *liveEnv {
	t.Helper()
	e := newLiveEnv(t, "open", tweak)
	now := time.Now()
	for _, s := range []models.Session{
		{EventID: e.ev.ID, Slug: "keynote", Title: "Keynote", StartsAt: now.Add(-30 * time.Minute), EndsAt: now.Add(30 * time.Minute)},
		{EventID: e.ev.ID, Slug: "closing", Title: "Closing", StartsAt: now.Add(30 * time.Minute), EndsAt: now.Add(time.Hour)},
	} {
		if err := e.db.DB.Create(&s).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := e.db.DB.Model(&models.Event{}).Where("id = ?", e.ev.ID).Update("qa", qa).Error; err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *liveEnv) qPath(session string) string {
	return "/api/events/" + e.ev.Slug + "/sessions/" + session + "/questions"
}

func (e *liveEnv) votePath(session string, id int64) string {
	return fmt.Sprintf("%s/%d/vote", e.qPath(session), id)
}

func (e *liveEnv) reactPath(session string) string {
	return "/api/events/" + e.ev.Slug + "/sessions/" + session + "/reactions"
}

// ask asks a question as client and returns the answer.
func (e *liveEnv) ask(t *testing.T, client, session, text string) answer {
	t.Helper()
	return e.call(t, http.MethodPost, e.qPath(session), client, "application/json", fmt.Sprintf(`{"text": %q}`, text))
}

func TestAskingAQuestionAppendsItAndListsIt(t *testing.T) {
	e := newAudienceEnv(t, "open", nil)
	a := e.call(t, http.MethodPost, e.qPath("keynote"), NewClientID(), "application/json",
		`{"text": "  <b>Why</b> CSS?  ", "name": "Ana"}`).expect(t, http.StatusCreated)
	if a.num("id") != 1 || a.body["text"] != "<b>Why</b> CSS?" || a.body["name"] != "Ana" || a.body["state"] != "open" ||
		a.num("votes") != 0 || a.body["session"] != "keynote" || a.body["created_at"] == nil {
		t.Fatalf("answer %s", a.raw)
	}
	anon := e.ask(t, NewClientID(), "keynote", "And the cascade?").expect(t, http.StatusCreated)
	if v, ok := anon.body["name"]; !ok || v != nil {
		t.Fatalf("anonymous question %s, want name null", anon.raw)
	}
	l := e.get(t, e.qPath("keynote"), "").expect(t, http.StatusOK)
	qs := l.list("questions")
	if len(qs) != 2 || l.num("head") != 2 || l.body["epoch"] == "" {
		t.Fatalf("list %s, want both questions at head 2", l.raw)
	}
	p := e.get(t, e.livePath("?since=0&wait=0"), "").expect(t, http.StatusOK)
	es := p.list("entries")
	if len(es) != 2 || es[0].(map[string]any)["op"] != "question" || es[0].(map[string]any)["session"] != "keynote" {
		t.Fatalf("live log %s, want two question entries with their session", p.raw)
	}
	if other := e.get(t, e.qPath("closing"), "").expect(t, http.StatusOK); len(other.list("questions")) != 0 {
		t.Fatalf("another session lists %s", other.raw)
	}
}

func TestQuestionsAreListedByVotesThenAgeWithAnsweredLast(t *testing.T) {
	e := newAudienceEnv(t, "open", nil)
	for _, text := range []string{"first", "second", "third", "fourth"} {
		e.ask(t, NewClientID(), "keynote", text).expect(t, http.StatusCreated)
	}
	ctx := context.Background()
	for i, id := range []int64{3, 3, 2} {
		if _, err := e.log.Vote(ctx, e.ev.ID, "keynote", id, fmt.Sprint("voter", i), true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.log.SetQuestionState(ctx, e.ev.ID, 3, live.QuestionAnswered); err != nil {
		t.Fatal(err)
	}
	l := e.get(t, e.qPath("keynote"), "").expect(t, http.StatusOK)
	var got []string
	for _, q := range l.list("questions") {
		got = append(got, q.(map[string]any)["text"].(string))
	}
	if strings.Join(got, ",") != "second,first,fourth,third" {
		t.Fatalf("order %v, want second (1 vote), first, fourth (0, oldest first), third (answered)", got)
	}
}

func TestARetriedQuestionIsAskedOnce(t *testing.T) {
	e := newAudienceEnv(t, "open", nil)
	c := NewClientID()
	a := e.ask(t, c, "keynote", "Once?").expect(t, http.StatusCreated)
	b := e.ask(t, c, "keynote", "Once?").expect(t, http.StatusCreated)
	if a.num("id") != b.num("id") {
		t.Fatalf("retry asked again: %s then %s", a.raw, b.raw)
	}
	if _, head, _ := e.log.Head(context.Background(), e.ev.ID); head != 1 {
		t.Fatalf("head %d, want one entry", head)
	}
}

func TestVotingIsOnePerClientIdempotentAndRevocable(t *testing.T) {
	e := newAudienceEnv(t, "open", nil)
	id := e.ask(t, NewClientID(), "keynote", "Vote for me").expect(t, http.StatusCreated).num("id")
	c := NewClientID()
	for range 3 {
		if v := e.call(t, http.MethodPost, e.votePath("keynote", id), c, "", "").expect(t, http.StatusOK); v.num("votes") != 1 || v.body["voted"] != true {
			t.Fatalf("vote answer %s, want 1 vote", v.raw)
		}
	}
	if l := e.get(t, e.qPath("keynote"), c).expect(t, http.StatusOK); l.list("questions")[0].(map[string]any)["voted"] != true {
		t.Fatalf("list %s does not say this client voted", l.raw)
	}
	other := e.call(t, http.MethodPost, e.votePath("keynote", id), NewClientID(), "", "").expect(t, http.StatusOK)
	if other.num("votes") != 2 {
		t.Fatalf("second client's vote %s, want 2", other.raw)
	}
	for range 2 {
		if v := e.call(t, http.MethodDelete, e.votePath("keynote", id), c, "", "").expect(t, http.StatusOK); v.num("votes") != 1 {
			t.Fatalf("unvote answer %s, want 1", v.raw)
		}
	}
	es, err := e.log.Range(context.Background(), e.ev.ID, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	var deltas []int
	for _, en := range es {
		if en.Op != live.OpVotes || en.Voter == "" || en.Target != id {
			t.Fatalf("entry %+v, want votes entries with their voter", en)
		}
		deltas = append(deltas, en.Delta)
	}
	if fmt.Sprint(deltas) != "[1 1 -1]" {
		t.Fatalf("votes entries %v, want one vote, another, one taken back", deltas)
	}
}

func TestVoteEntriesNeverShowTheVoterToClients(t *testing.T) {
	e := newAudienceEnv(t, "open", nil)
	id := e.ask(t, NewClientID(), "keynote", "Private?").expect(t, http.StatusCreated).num("id")
	c := NewClientID()
	e.call(t, http.MethodPost, e.votePath("keynote", id), c, "", "").expect(t, http.StatusOK)
	p := e.get(t, e.livePath("?since=1&wait=5"), "").expect(t, http.StatusOK)
	if !strings.Contains(p.raw, `"op":"votes"`) || strings.Contains(p.raw, VoterID(c)) || strings.Contains(p.raw, c) {
		t.Fatalf("live answer %s leaks the voter", p.raw)
	}
	raws, err := e.log.rangeRaw(context.Background(), e.ev.ID, 1, 10)
	if err != nil || len(raws) != 1 || strings.Contains(string(raws[0].raw), VoterID(c)) {
		t.Fatalf("stored entry %v (err %v) leaks the voter", raws, err)
	}
}

func TestAThousandClientsVotingAtOnceAreCountedExactly(t *testing.T) {
	e := newAudienceEnv(t, "open", func(d *HandlerDeps) {
		d.VoteRate = RateLimit{Count: 0, Period: time.Second} // one address: no ceiling in this test
	})
	id := e.ask(t, NewClientID(), "keynote", "Popular?").expect(t, http.StatusCreated).num("id")
	const clients = 1000
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	sem := make(chan struct{}, 64)
	for i := range clients {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c := NewClientID()
			// Every tenth client clicks twice: still one vote.
			for range 1 + btoi(i%10 == 0) {
				a := callApp(t, e.app, http.MethodPost, e.votePath("keynote", id), c, "", "")
				if a.status != http.StatusOK {
					errs <- fmt.Errorf("vote %d: %d %s", i, a.status, a.raw)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	l := e.get(t, e.qPath("keynote"), "").expect(t, http.StatusOK)
	if got := int64(l.list("questions")[0].(map[string]any)["votes"].(float64)); got != clients {
		t.Fatalf("votes %d, want %d", got, clients)
	}
	es, err := e.log.Range(context.Background(), e.ev.ID, 1, 2*clients)
	if err != nil {
		t.Fatal(err)
	}
	voters := map[string]bool{}
	var last int64
	for _, en := range es {
		if en.Op != live.OpVotes || en.Delta != 1 || voters[en.Voter] {
			t.Fatalf("entry %+v: want one +1 votes entry per voter", en)
		}
		voters[en.Voter] = true
		last = *en.Votes
	}
	if len(voters) != clients || last != clients {
		t.Fatalf("%d votes entries ending at %d, want %d", len(voters), last, clients)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestModeratedQuestionsAreHeld202UntilApproved(t *testing.T) {
	e := newAudienceEnv(t, "moderated", nil)
	a := e.ask(t, NewClientID(), "keynote", "Held?").expect(t, http.StatusAccepted)
	if a.body["state"] != "held" {
		t.Fatalf("answer %s, want state held", a.raw)
	}
	id := a.num("id")
	if l := e.get(t, e.qPath("keynote"), "").expect(t, http.StatusOK); len(l.list("questions")) != 0 {
		t.Fatalf("list %s shows a held question", l.raw)
	}
	if p := e.get(t, e.livePath("?since=0&wait=0"), "").expect(t, http.StatusOK); len(p.list("entries")) != 0 || p.num("next") != 1 {
		t.Fatalf("live %s delivers a held question", p.raw)
	}
	e.call(t, http.MethodPost, e.votePath("keynote", id), NewClientID(), "", "").expect(t, http.StatusNotFound)
	if _, err := e.log.SetQuestionState(context.Background(), e.ev.ID, id, live.QuestionOpen); err != nil {
		t.Fatal(err)
	}
	p := e.get(t, e.livePath("?since=1&wait=5"), "").expect(t, http.StatusOK)
	if !strings.Contains(p.raw, `"op":"qa_state"`) || !strings.Contains(p.raw, `"text":"Held?"`) || !strings.Contains(p.raw, `"state":"open"`) {
		t.Fatalf("approval %s does not carry the question", p.raw)
	}
}

func TestHidingAQuestionTakesItsTextOffTheLog(t *testing.T) {
	e := newAudienceEnv(t, "open", nil)
	id := e.ask(t, NewClientID(), "keynote", "Something rude").expect(t, http.StatusCreated).num("id")
	if _, err := e.log.SetQuestionState(context.Background(), e.ev.ID, id, live.QuestionHidden); err != nil {
		t.Fatal(err)
	}
	p := e.get(t, e.livePath("?since=1&wait=5"), "").expect(t, http.StatusOK)
	if !strings.Contains(p.raw, `"state":"hidden"`) || strings.Contains(p.raw, "rude") {
		t.Fatalf("hide entry %s, want the state without the text", p.raw)
	}
	e.call(t, http.MethodPost, e.votePath("keynote", id), NewClientID(), "", "").expect(t, http.StatusNotFound)
	if l := e.get(t, e.qPath("keynote"), "").expect(t, http.StatusOK); len(l.list("questions")) != 0 {
		t.Fatalf("list %s shows a hidden question", l.raw)
	}
}

func TestMarkingAnsweringReplacesThePreviousOne(t *testing.T) {
	e := newAudienceEnv(t, "open", nil)
	a := e.ask(t, NewClientID(), "keynote", "A").expect(t, http.StatusCreated).num("id")
	b := e.ask(t, NewClientID(), "keynote", "B").expect(t, http.StatusCreated).num("id")
	ctx := context.Background()
	if _, err := e.log.SetQuestionState(ctx, e.ev.ID, a, live.QuestionAnswering); err != nil {
		t.Fatal(err)
	}
	if _, err := e.log.SetQuestionState(ctx, e.ev.ID, b, live.QuestionAnswering); err != nil {
		t.Fatal(err)
	}
	list, err := e.log.Questions(ctx, e.ev.ID, "keynote")
	if err != nil {
		t.Fatal(err)
	}
	if list.Questions[0].State != live.QuestionAnswered || list.Questions[1].State != live.QuestionAnswering {
		t.Fatalf("states %+v, want A answered and B answering", list.Questions)
	}
}

func TestMergingCombinesVotersCountingEachOnce(t *testing.T) {
	e := newAudienceEnv(t, "open", nil)
	dup := e.ask(t, NewClientID(), "keynote", "Dup").expect(t, http.StatusCreated).num("id")
	target := e.ask(t, NewClientID(), "keynote", "Original").expect(t, http.StatusCreated).num("id")
	other := e.ask(t, NewClientID(), "closing", "Elsewhere").expect(t, http.StatusCreated).num("id")
	both, onlyDup, onlyTarget := NewClientID(), NewClientID(), NewClientID()
	for _, v := range []struct {
		c  string
		id int64
	}{{both, dup}, {both, target}, {onlyDup, dup}, {onlyTarget, target}} {
		e.call(t, http.MethodPost, e.votePath("keynote", v.id), v.c, "", "").expect(t, http.StatusOK)
	}
	ctx := context.Background()
	if _, err := e.log.MergeQuestion(ctx, e.ev.ID, dup, other); !errors.Is(err, ErrBadMerge) {
		t.Fatalf("merge across sessions: %v, want ErrBadMerge", err)
	}
	votes, err := e.log.MergeQuestion(ctx, e.ev.ID, dup, target)
	if err != nil || votes != 3 {
		t.Fatalf("merge: %d votes (err %v), want 3 distinct voters", votes, err)
	}
	if again, err := e.log.MergeQuestion(ctx, e.ev.ID, dup, target); err != nil || again != 3 {
		t.Fatalf("merging again: %d, %v; want the same count and no change", again, err)
	}
	// A voter of the duplicate only has now voted for the target: once.
	if v := e.call(t, http.MethodPost, e.votePath("keynote", target), onlyDup, "", "").expect(t, http.StatusOK); v.num("votes") != 3 {
		t.Fatalf("vote after merge %s, want still 3", v.raw)
	}
	e.call(t, http.MethodPost, e.votePath("keynote", dup), NewClientID(), "", "").expect(t, http.StatusNotFound)
	l := e.get(t, e.qPath("keynote"), "").expect(t, http.StatusOK)
	if qs := l.list("questions"); len(qs) != 1 || qs[0].(map[string]any)["votes"].(float64) != 3 {
		t.Fatalf("list %s, want the target alone with 3 votes", l.raw)
	}
}

func TestReactionsAreCountedPerMinuteAndReachTheLog(t *testing.T) {
	e := newAudienceEnv(t, "open", nil)
	c := NewClientID()
	for _, kind := range []string{"applause", "applause", "love"} {
		e.call(t, http.MethodPost, e.reactPath("keynote"), c, "application/json", `{"kind":"`+kind+`"}`).expect(t, http.StatusAccepted)
	}
	es, err := e.log.Range(context.Background(), e.ev.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	lastEntry := es[len(es)-1]
	if lastEntry.Op != live.OpReactions || lastEntry.Session != "keynote" || lastEntry.Counts["applause"] != 2 ||
		lastEntry.Counts["love"] != 1 || lastEntry.Minute == "" {
		t.Fatalf("last entry %+v, want the minute's totals", lastEntry)
	}
}

func TestReactionsFlushedInBatchesAppendOneEntryPerMinute(t *testing.T) {
	var r *Reactions
	e := newAudienceEnv(t, "open", func(d *HandlerDeps) {
		r = NewReactions(d.Log, time.Hour, nil)
		d.Reactions = r
		d.ReactionRate = RateLimit{Count: 0, Period: time.Second}
	})
	for range 20 {
		e.call(t, http.MethodPost, e.reactPath("keynote"), NewClientID(), "application/x-www-form-urlencoded", "kind=insight").expect(t, http.StatusAccepted)
	}
	if _, head, _ := e.log.Head(context.Background(), e.ev.ID); head != 0 {
		t.Fatalf("head %d before the flush, want 0", head)
	}
	r.Flush(context.Background())
	es, err := e.log.Range(context.Background(), e.ev.ID, 0, 10)
	if err != nil || len(es) < 1 || len(es) > 2 {
		t.Fatalf("entries %+v (err %v), want one per minute the reactions fell in", es, err)
	}
	var total int64
	for _, en := range es {
		total += en.Counts["insight"]
	}
	if total < 20 {
		t.Fatalf("entries %+v count %d insights, want 20", es, total)
	}
}

func TestBadAudienceRequestsGetOneClearSentence(t *testing.T) {
	e := newAudienceEnv(t, "open", nil)
	id := e.ask(t, NewClientID(), "keynote", "Real").expect(t, http.StatusCreated).num("id")
	long := strings.Repeat("é", live.MaxQuestionText+1)
	json := map[string]string{"Content-Type": "application/json"}
	noLog := []apitest.Appended{{EventID: e.ev.ID}}
	apitest.Run(t, e.api(),
		apitest.Scenario{Name: "empty question", Method: http.MethodPost, Path: e.qPath("keynote"), Headers: json, Body: `{"text":"   "}`,
			ExpectedStatus: http.StatusBadRequest, ExpectedContent: []string{"The question is empty"}, ExpectedLog: noLog},
		apitest.Scenario{Name: "over-long question", Method: http.MethodPost, Path: e.qPath("keynote"), Headers: json, Body: `{"text":"` + long + `"}`,
			ExpectedStatus: http.StatusBadRequest, ExpectedContent: []string{"at most 300 are allowed"}, ExpectedLog: noLog},
		apitest.Scenario{Name: "300 characters are fine", Method: http.MethodPost, Path: e.qPath("keynote"), Headers: json, Body: `{"text":"` + long[2:] + `"}`,
			ExpectedStatus: http.StatusCreated, ExpectedLog: []apitest.Appended{{EventID: e.ev.ID, Ops: []string{live.OpQuestion}}}},
		apitest.Scenario{Name: "not JSON", Method: http.MethodPost, Path: e.qPath("keynote"), Headers: json, Body: `text=hi`,
			ExpectedStatus: http.StatusBadRequest, ExpectedContent: []string{`The body must be a JSON object with \"text\" and \"name\".`}},
		apitest.Scenario{Name: "unknown session", Method: http.MethodPost, Path: e.qPath("nope"), Headers: json, Body: `{"text":"hi"}`,
			ExpectedStatus: http.StatusNotFound, ExpectedJSON: map[string]any{"error": `There is no session "nope".`}, ExpectedLog: noLog},
		apitest.Scenario{Name: "unknown session's list", Path: e.qPath("nope"),
			ExpectedStatus: http.StatusNotFound, ExpectedJSON: map[string]any{"error": `There is no session "nope".`}},
		apitest.Scenario{Name: "unknown event", Path: "/api/events/nope/sessions/keynote/questions",
			ExpectedStatus: http.StatusNotFound, ExpectedJSON: map[string]any{"error": `There is no event "nope".`}},
		apitest.Scenario{Name: "vote for an unknown question", Method: http.MethodPost, Path: e.votePath("keynote", 999),
			ExpectedStatus: http.StatusNotFound, ExpectedJSON: map[string]any{"error": `There is no question 999.`}, ExpectedLog: noLog},
		apitest.Scenario{Name: "vote for a question of another session", Method: http.MethodPost, Path: e.votePath("closing", id),
			ExpectedStatus: http.StatusNotFound, ExpectedLog: noLog},
		apitest.Scenario{Name: "vote for a question that is not a number", Method: http.MethodPost, Path: e.qPath("keynote") + "/abc/vote",
			ExpectedStatus: http.StatusNotFound, ExpectedJSON: map[string]any{"error": `There is no question "abc".`}},
		apitest.Scenario{Name: "reaction of an unknown kind", Method: http.MethodPost, Path: e.reactPath("keynote"), Headers: json, Body: `{"kind":"boo"}`,
			ExpectedStatus: http.StatusBadRequest, ExpectedJSON: map[string]any{"error": "The kind of reaction must be one of applause, insight, love, confused, disagree."}},
		apitest.Scenario{Name: "reaction to an unknown session", Method: http.MethodPost, Path: e.reactPath("nope"), Headers: json, Body: `{"kind":"love"}`,
			ExpectedStatus: http.StatusNotFound},
	)
}

func TestAudienceLimitsAnswer429WithRetryAfter(t *testing.T) {
	e := newAudienceEnv(t, "open", func(d *HandlerDeps) {
		d.QuestionRate = RateLimit{Count: 2, Period: time.Minute}
	})
	c := NewClientID()
	for i := range 5 {
		a := e.call(t, http.MethodPost, e.reactPath("keynote"), c, "application/json", `{"kind":"applause"}`)
		a.expect(t, http.StatusAccepted)
		_ = i
	}
	r := e.call(t, http.MethodPost, e.reactPath("keynote"), c, "application/json", `{"kind":"applause"}`).expect(t, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") != "1" {
		t.Fatalf("Retry-After %q after a burst of reactions, want about a second", r.header.Get("Retry-After"))
	}
	e.ask(t, c, "keynote", "one").expect(t, http.StatusCreated)
	e.ask(t, c, "keynote", "two").expect(t, http.StatusCreated)
	q := e.ask(t, c, "keynote", "three").expect(t, http.StatusTooManyRequests)
	if q.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}

func TestClosedQuestionsAre403(t *testing.T) {
	e := newAudienceEnv(t, "closed", nil)
	e.ask(t, NewClientID(), "keynote", "Anyone?").expect(t, http.StatusForbidden)
	a := e.call(t, http.MethodPost, e.qPath("keynote"), "", "application/x-www-form-urlencoded", url.Values{"text": {"form"}}.Encode())
	if a.expect(t, http.StatusForbidden).body["error"] != "Questions are closed for this event." {
		t.Fatalf("answer %s", a.raw)
	}
	// Reactions do not depend on questions.
	e.call(t, http.MethodPost, e.reactPath("keynote"), NewClientID(), "application/json", `{"kind":"love"}`).expect(t, http.StatusAccepted)
}
