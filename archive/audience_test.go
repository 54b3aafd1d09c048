package archive

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// question stores a question of a session with its votes and state.
func (e *env) question(s *models.Session, id int64, text string, name string, votes int64, state string) {
	e.t.Helper()
	q := models.Question{EventID: e.ev.ID, ID: id, SessionID: &s.ID, Text: text, State: state, Votes: votes,
		CreatedAt: t0.Add(time.Duration(id) * time.Minute)}
	if name != "" {
		q.Name = &name
	}
	must(e.t, e.db.DB.Create(&q).Error)
	e.bump()
}

func (e *env) reactions(s *models.Session, at time.Duration, kind string, n int64) {
	e.t.Helper()
	must(e.t, e.db.DB.Create(&models.ReactionCount{EventID: e.ev.ID, SessionID: s.ID, Minute: t0.Add(at).Truncate(time.Minute),
		Kind: kind, Count: n}).Error)
	e.bump()
}

func audienceEnv(t *testing.T) *env {
	e := newEnv(t)
	for i := range 6 {
		e.add(&e.talk, time.Duration(i)*time.Minute, nil)
	}
	e.add(&e.panel, 70*time.Minute, nil)
	e.question(&e.talk, 100, "Is <b>grid</b> ready?", "Ada", 7, "answered")
	e.question(&e.talk, 101, "=HYPERLINK(\"http://evil\")", "", 9, "open")
	e.question(&e.talk, 102, "held one", "", 0, "held")
	e.question(&e.talk, 103, "hidden one", "", 50, "hidden")
	e.question(&e.panel, 104, "Panel question", "", 1, "open")
	e.reactions(&e.talk, 5*time.Minute, "applause", 30)
	e.reactions(&e.talk, 6*time.Minute, "love", 10)
	e.reactions(&e.talk, 6*time.Minute, "confused", 10)
	e.reactions(&e.panel, 65*time.Minute, "disagree", 3)
	must(t, store.New(e.db.DB).RecordReaders(context.Background(), e.ev.ID, t0.Add(10*time.Minute), 42))
	must(t, store.New(e.db.DB).RecordReaders(context.Background(), e.ev.ID, t0.Add(10*time.Minute), 17)) // a lower sample keeps 42
	must(t, store.New(e.db.DB).RecordReaders(context.Background(), e.ev.ID, t0.Add(80*time.Minute), 5))
	return e
}

func TestSessionPageKeepsTheVisibleQuestionsWithVotesAndState(t *testing.T) {
	e := audienceEnv(t)
	body := e.ok("/events/conf/sessions/keynote")
	for _, want := range []string{"Questions from the audience (2)", "Is &lt;b&gt;grid&lt;/b&gt; ready?", "Answered", "9</span>",
		`href="/events/conf/sessions/keynote/qa"`} {
		if !strings.Contains(body, want) {
			t.Errorf("session page lacks %q", want)
		}
	}
	for _, never := range []string{"held one", "hidden one", "Panel question", "<b>grid</b>"} {
		if strings.Contains(body, never) {
			t.Errorf("session page shows %q", never)
		}
	}
	if strings.Index(body, "HYPERLINK") > strings.Index(body, "grid") {
		t.Error("questions are not ordered by votes")
	}
}

func TestSessionFeedCarriesItsQuestions(t *testing.T) {
	e := audienceEnv(t)
	body := e.ok("/events/conf/sessions/keynote/feed.atom")
	if !strings.Contains(body, "Question from Ada: Is &lt;b&gt;grid&lt;/b&gt; ready?") || !strings.Contains(body, "7 votes · answered") {
		t.Errorf("session feed lacks its questions:\n%s", body)
	}
	if strings.Contains(body, "hidden one") || strings.Contains(body, "held one") {
		t.Error("the feed carries a question the audience never saw")
	}
}

func TestExportsCarryTheVisibleQuestions(t *testing.T) {
	e := audienceEnv(t)
	var doc struct {
		Items     []json.RawMessage `json:"items"`
		Questions []struct {
			ID      int64   `json:"id"`
			Session string  `json:"session"`
			Text    string  `json:"text"`
			Name    *string `json:"name"`
			Votes   int64   `json:"votes"`
			State   string  `json:"state"`
		} `json:"questions"`
	}
	must(t, json.Unmarshal([]byte(e.ok("/events/conf/export.json")), &doc))
	if len(doc.Items) != 7 || len(doc.Questions) != 3 {
		t.Fatalf("export.json has %d items and %d questions, want 7 and 3", len(doc.Items), len(doc.Questions))
	}
	if q := doc.Questions[0]; q.ID != 100 || q.Session != "keynote" || *q.Name != "Ada" || q.Votes != 7 || q.State != "answered" {
		t.Errorf("first question %+v", q)
	}
	var panel struct {
		Questions []struct {
			ID int64 `json:"id"`
		} `json:"questions"`
	}
	must(t, json.Unmarshal([]byte(e.ok("/events/conf/export.json?session=panel")), &panel))
	if len(panel.Questions) != 1 || panel.Questions[0].ID != 104 {
		t.Errorf("a session's export carries questions %v, want only its own (104)", panel.Questions)
	}
	rows, err := csv.NewReader(strings.NewReader(e.ok("/events/conf/export.csv?table=questions"))).ReadAll()
	must(t, err)
	if len(rows) != 4 || strings.Join(rows[0], ",") != "id,session,text,name,votes,state,created_at" {
		t.Fatalf("questions CSV: %v", rows)
	}
	if rows[2][2] != `'=HYPERLINK("http://evil")` || rows[2][4] != "9" || rows[2][3] != "" {
		t.Errorf("second row %v: the formula is not defused or the votes are wrong", rows[2])
	}
	if st, body := e.get("/events/conf/export.csv?table=people"); st != 400 || !strings.Contains(body, "items") {
		t.Errorf("unknown table: %d %s", st, body)
	}
}

func TestReceptionComparesEverySessionAndSortsByAnyColumn(t *testing.T) {
	e := audienceEnv(t)
	body := e.ok("/events/conf/reception")
	for _, want := range []string{`data-session="keynote"`, `data-session="panel"`, `aria-sort="ascending"`,
		`data-col="posts">6<`, `data-col="questions">2<`, `data-col="votes">16<`, `data-col="reactions">50<`,
		`data-col="applause">0.5<`, `data-col="positive">80%<`, `data-col="negative">20%<`, `data-col="readers">42<`,
		`data-col="posters">5<`, `data-testid="chart-reactions"`} {
		if !strings.Contains(body, want) {
			t.Errorf("reception page lacks %q", want)
		}
	}
	if strings.Index(body, `data-session="keynote"`) > strings.Index(body, `data-session="panel"`) {
		t.Error("by default sessions are in schedule order")
	}
	body = e.ok("/events/conf/reception?sort=negative&dir=desc")
	if strings.Index(body, `data-session="panel"`) > strings.Index(body, `data-session="keynote"`) {
		t.Error("sorted by negative share, the panel (100%) comes first")
	}
	if !strings.Contains(body, `href="/events/conf/reception?dir=asc&amp;sort=negative"`) {
		t.Error("the current sort's heading does not link to the other direction")
	}
	for _, bad := range []string{"?sort=nope", "?sort=posts&dir=up"} {
		if st, _ := e.get("/events/conf/reception" + bad); st != 400 {
			t.Errorf("%s = %d, want 400", bad, st)
		}
	}
	if st, _ := e.get("/events/nope/reception"); st != 404 {
		t.Errorf("unknown event = %d, want 404", st)
	}
}

func TestReportLinksAreUnguessableAndRevocable(t *testing.T) {
	e := audienceEnv(t)
	st := store.New(e.db.DB)
	ctx := context.Background()
	link, err := st.CreateReport(ctx, store.Actor{Name: "test"}, e.ev.ID, e.talk.ID)
	must(t, err)
	other, err := st.CreateReport(ctx, store.Actor{Name: "test"}, e.ev.ID, e.talk.ID)
	must(t, err)
	if len(link.Token) < 43 || link.Token == other.Token {
		t.Fatalf("tokens %q and %q are short or equal", link.Token, other.Token)
	}
	body := e.ok("/r/" + link.Token)
	for _, want := range []string{"The Future of CSS", "Top questions", "=HYPERLINK", "Is &lt;b&gt;grid&lt;/b&gt; ready?",
		`data-testid="chart-activity"`, `data-testid="chart-reactions"`, `data-kind="applause">Applause: <strong>30`,
		"item 1 says hello", "6 posts"} {
		if !strings.Contains(body, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(body, "hidden one") || strings.Contains(body, "Panel question") {
		t.Error("the report shows a hidden question or another session's")
	}
	must(t, st.RevokeReport(ctx, store.Actor{Name: "test"}, e.ev.ID, link.Token))
	for _, tok := range []string{link.Token, strings.Repeat("x", 43), "short"} {
		if code, body := e.get("/r/" + tok); code != 404 || !strings.Contains(body, "There is no such report.") {
			t.Errorf("/r/%s = %d: %s", tok, code, body)
		}
	}
	e.ok("/r/" + other.Token) // revoking one link leaves the others working
	var n int64
	must(t, e.db.DB.Model(&models.AuditEntry{}).Where("object_type = 'session_report'").Count(&n).Error)
	if n != 3 {
		t.Errorf("%d audit rows for report links, want 3 (two created, one revoked)", n)
	}
	var leaked int64
	must(t, e.db.DB.Model(&models.AuditEntry{}).Where("after::text LIKE ?", "%"+link.Token+"%").Count(&leaked).Error)
	if leaked != 0 {
		t.Error("the audit log holds a working token")
	}
}
