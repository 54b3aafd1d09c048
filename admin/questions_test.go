package admin

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/realtime"
)

// questionSession adds a session to ev and asks questions in it.
func (e *env) questionSession(ev models.Event, texts ...string) []int64 {
	e.t.Helper()
	s := models.Session{EventID: ev.ID, Slug: "talk", Title: "The talk", StartsAt: ev.StartsAt, EndsAt: ev.StartsAt.Add(time.Hour)}
	if err := e.db.Create(&s).Error; err != nil {
		e.t.Fatal(err)
	}
	var ids []int64
	for _, text := range texts {
		r, err := e.log.Ask(context.Background(), ev.ID, realtime.NewQuestion{Session: "talk", Text: text,
			Held: strings.HasPrefix(text, "held"), Client: realtime.NewClientID(), Now: time.Now()})
		if err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, r.Question.ID)
	}
	return ids
}

func TestQuestionsConsoleListsASessionsQuestionsByStateWithTheirKeys(t *testing.T) {
	e := newEnv(t)
	e.questionSession(e.evA, "held: approve me", "<script>alert(1)</script> open one")
	c := e.moderator(e.evA)
	resp, body := c.get("/admin/events/" + id(e.evA.ID) + "/questions?session=talk")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("console: %d %s", resp.StatusCode, body)
	}
	for _, want := range []string{"Held for approval (1)", "Open (1)", `data-key="a"`, `data-key="n"`, `data-key="h"`,
		"&lt;script&gt;alert(1)&lt;/script&gt; open one", `/events/alpha-conf/sessions/talk/speaker`, "qa-admin"} {
		if !strings.Contains(body, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>alert(1)") {
		t.Error("a question's HTML reached the page as markup")
	}
	// Another event's moderator may not see it.
	other := e.moderator(e.evB)
	if resp, _ := other.get("/admin/events/" + id(e.evA.ID) + "/questions"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("another event's moderator: %d, want 403", resp.StatusCode)
	}
}

func TestAnsweringNowFromTheConsoleIsAuditedAndReachesTheLog(t *testing.T) {
	e := newEnv(t)
	ids := e.questionSession(e.evA, "held: approve me", "open one")
	c := e.moderator(e.evA)
	base := "/admin/events/" + id(e.evA.ID) + "/questions/"
	back := "/admin/events/" + id(e.evA.ID) + "/questions?session=talk"
	resp, _ := c.post(base+id(ids[0])+"/approve", url.Values{"return": {back}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != back {
		t.Fatalf("approve: %d → %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	c.post(base+id(ids[1])+"/answering", nil)
	head := ids[1]
	es := e.entriesAfter(e.evA, head)
	if len(es) != 2 || es[0].Op != live.OpQAState || es[0].Question.State != "open" || es[1].Question.State != "answering" ||
		es[1].Target != ids[1] {
		t.Fatalf("log after approve and answering: %+v", es)
	}
	if e.auditCount("approve", "question", id(ids[0])) != 1 || e.auditCount("answering", "question", id(ids[1])) != 1 {
		t.Fatal("question verbs not audited")
	}
	// A merge of the approved question into the one being answered.
	resp, _ = c.post(base+id(ids[0])+"/merge", url.Values{"into": {id(ids[1])}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("merge: %d", resp.StatusCode)
	}
	q, err := e.log.Question(context.Background(), e.evA.ID, ids[0])
	if err != nil || q.State != "hidden" || q.MergedInto != ids[1] {
		t.Fatalf("merged question %+v (%v)", q, err)
	}
	// A verb that does not apply says so instead of failing.
	resp, _ = c.post(base+id(ids[0])+"/approve", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approving a merged question: %d, want a redirect with a message", resp.StatusCode)
	}
	if _, body := c.get(back); !strings.Contains(body, "not done") {
		t.Fatal("the console does not say the verb did not apply")
	}
}

func TestReportLinksAreCreatedAndRevokedFromTheQuestionsConsole(t *testing.T) {
	e := newEnv(t)
	e.questionSession(e.evA, "open one")
	c := e.moderator(e.evA)
	base := "/admin/events/" + id(e.evA.ID) + "/questions"
	resp, _ := c.post(base+"/reports", url.Values{"session": {"talk"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	var links []models.SessionReport
	if err := e.db.Where("event_id = ?", e.evA.ID).Find(&links).Error; err != nil || len(links) != 1 {
		t.Fatalf("links %v (%v)", links, err)
	}
	tok := links[0].Token
	if _, body := c.get(base + "?session=talk"); !strings.Contains(body, `href="/r/`+tok+`"`) {
		t.Fatal("the console does not list the new link")
	}
	if e.auditCount("create", "session_report", id(links[0].SessionID)) != 1 {
		t.Error("creating a link is not audited")
	}
	if resp, _ := c.post(base+"/reports", url.Values{"session": {"nope"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a link for an unknown session: %d, want 404", resp.StatusCode)
	}
	// Another event's moderator can neither make nor revoke this event's links.
	other := e.moderator(e.evB)
	if resp, _ := other.post(base+"/reports/"+tok+"/revoke", nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another event's moderator revoking: %d, want 403", resp.StatusCode)
	}
	if resp, _ := c.post(base+"/reports/"+tok+"/revoke", nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if _, body := c.get(base + "?session=talk"); strings.Contains(body, `href="/r/`+tok+`"`) || !strings.Contains(body, "revoked") {
		t.Error("a revoked link is still offered")
	}
	if resp, _ := c.post(base+"/reports/"+tok+"/revoke", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("revoking twice: %d, want 404", resp.StatusCode)
	}
}
