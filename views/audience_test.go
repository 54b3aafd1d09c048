package views

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/backchannel/backchannel/live"
)

func audienceQuestions() []live.Question {
	ada := "Ada"
	return []live.Question{
		{ID: 7, Session: "layouts", Text: "Is <b>grid</b> ready? <script>alert(1)</script>", Name: &ada, Votes: 5, State: live.QuestionOpen, Voted: true},
		{ID: 9, Session: "layouts", Text: "What about subgrid?", Votes: 3, State: live.QuestionAnswering},
		{ID: 4, Session: "layouts", Text: "Old one", Votes: 1, State: live.QuestionOpen},
		{ID: 2, Session: "layouts", Text: "Done", Votes: 8, State: live.QuestionAnswered},
	}
}

func TestQAPageShowsQuestionsAsTextWithTheClientsVotesAndFollowsTheLog(t *testing.T) {
	vm, ok := NewAudienceVM(testEvent(), "layouts", audienceQuestions(), "ep1", 42, map[string]map[string]int64{"2026-05-24T14:31:00Z": {"love": 2}}, testNow)
	if !ok {
		t.Fatal("session not found")
	}
	doc, html := renderDoc(t, QAPage(vm))
	if strings.Contains(html, "<b>grid</b>") || strings.Contains(html, "<script>alert") {
		t.Fatal("question text was rendered as markup")
	}
	root := doc.Find("[data-audience=qa]")
	for k, v := range map[string]string{"data-api": "/api/events/aea-boston-2026/live", "data-epoch": "ep1", "data-head": "42",
		"data-questions-api": "/api/events/aea-boston-2026/sessions/layouts/questions"} {
		if got := root.AttrOr(k, ""); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	qs := doc.Find(".question")
	if qs.Length() != 4 {
		t.Fatalf("%d questions shown, want 4", qs.Length())
	}
	first := qs.First()
	if first.Find(".q-text").Text() != "Is <b>grid</b> ready? <script>alert(1)</script>" || first.Find(".q-name").Text() != "Ada" {
		t.Errorf("first question %q by %q", first.Find(".q-text").Text(), first.Find(".q-name").Text())
	}
	if first.Find("[data-vote]").AttrOr("aria-pressed", "") != "true" {
		t.Error("the client's own vote is not marked")
	}
	if qs.Eq(2).Find(".q-name").Text() != "Anonymous" {
		t.Error("a question without a name is not shown as anonymous")
	}
	if doc.Find("form[data-ask-form] textarea[name=text][maxlength='300']").Length() != 1 {
		t.Error("no ask form with a 300-character text")
	}
	if doc.Find("[data-react] button[data-kind]").Length() != len(live.ReactionKinds) {
		t.Error("no button per reaction kind")
	}
	if !strings.Contains(doc.Find("[data-react]").AttrOr("data-reactions", ""), `"love":2`) {
		t.Error("the reaction bar does not start from the recent totals")
	}
}

func TestQAPageOfAClosedEventHasNoAskForm(t *testing.T) {
	ev := testEvent()
	ev.QA = "closed"
	vm, _ := NewAudienceVM(ev, "layouts", nil, "ep1", 1, nil, testNow)
	doc, _ := renderDoc(t, QAPage(vm))
	if doc.Find("form[data-ask-form]").Length() != 0 || !strings.Contains(doc.Find(".qa-ask").Text(), "closed") {
		t.Error("a closed event still offers the ask form")
	}
}

func TestSpeakerViewShowsTheQuestionBeingAnsweredFirstThenTheTopOpenOnes(t *testing.T) {
	vm, _ := NewAudienceVM(testEvent(), "layouts", audienceQuestions(), "ep1", 42, nil, testNow)
	doc, _ := renderDoc(t, SpeakerPage(vm, "https://bc.example/events/aea-boston-2026/sessions/layouts/qa"))
	qs := doc.Find(".speaker-list .question")
	var ids []string
	qs.Each(func(_ int, s *goquery.Selection) { ids = append(ids, s.AttrOr("data-qid", "")) })
	if strings.Join(ids, ",") != "9,7,4" {
		t.Errorf("speaker view shows %v, want the answering one (9) then the open ones by votes (7, 4), never the answered", ids)
	}
	if !qs.First().HasClass("is-answering") {
		t.Error("the question being answered is not highlighted")
	}
	if doc.Find("[data-vote]").Length() != 0 || doc.Find("form").Length() != 0 {
		t.Error("the speaker view shows more than the questions")
	}
	if !strings.Contains(doc.Find(".speaker-join").Text(), "bc.example/events/aea-boston-2026/sessions/layouts/qa") {
		t.Error("the speaker view does not say where to ask")
	}
}

func TestWallShowsTheCurrentSessionsTopQuestionsWithAQRCodeToAsk(t *testing.T) {
	vm := NewWallVM(testEvent(), LiveSnapshot{Epoch: "ep1", Head: 1}, "https://bc.example", testNow).
		WithQuestions("layouts", audienceQuestions(), "https://bc.example")
	doc, _ := renderDoc(t, Wall(vm))
	panel := doc.Find("[data-wall-qa=layouts]")
	if panel.Length() != 1 {
		t.Fatal("no questions panel")
	}
	if n := panel.Find(".question").Length(); n != 3 {
		t.Errorf("panel shows %d questions, want 3 (answering, then the open ones)", n)
	}
	if panel.Find("svg.qr").Length() != 1 || !strings.Contains(panel.Text(), "bc.example/events/aea-boston-2026/sessions/layouts/qa") {
		t.Error("the panel has no QR code or link to the Q&A page")
	}
}

func TestLivePageLinksEachSessionsQuestionsAndReactsToTheLiveOnes(t *testing.T) {
	doc, _ := renderDoc(t, EventLive(liveVM()))
	if doc.Find(`.session a.s-qa[href="/events/aea-boston-2026/sessions/layouts/qa"]`).Length() != 1 {
		t.Error("no link to a session's Q&A page in the schedule")
	}
	for _, s := range liveVM().LiveSessions() {
		if doc.Find(`[data-react][data-session="`+s.Slug+`"]`).Length() != 1 {
			t.Errorf("no reaction bar for live session %s", s.Slug)
		}
	}
}
