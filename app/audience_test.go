package app

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/realtime"
)

func TestQAPageAndSpeakerViewServeASessionsQuestionsFromTheLiveLog(t *testing.T) {
	a := newTestApp(t)
	now := time.Now()
	ev := seedEvent(t, a, "conf", now.Add(-time.Hour), now.Add(time.Hour))
	s := models.Session{EventID: ev.ID, Slug: "talk", Title: "The Talk", StartsAt: now.Add(-30 * time.Minute), EndsAt: now.Add(30 * time.Minute)}
	if err := a.DB.Create(&s).Error; err != nil {
		t.Fatal(err)
	}
	w, err := a.NewWeb()
	if err != nil {
		t.Fatal(err)
	}
	ask := func(text string) {
		req := httptest.NewRequest(http.MethodPost, "/api/events/conf/sessions/talk/questions", bytes.NewBufferString(`{"text":"`+text+`"}`))
		req.Header.Set("Content-Type", "application/json")
		res, err := w.Fiber.Test(req, 10_000)
		if err != nil || res.StatusCode != 201 {
			b, _ := io.ReadAll(res.Body)
			t.Fatalf("ask: %v %d %s", err, res.StatusCode, b)
		}
	}
	ask("First <script>x</script>")
	ask("Second")
	if err := w.Log.React(context.Background(), ev.ID, "talk", "love", time.Now()); err != nil {
		t.Fatal(err)
	}

	status, body, h := get(t, w.Fiber, "/events/conf/sessions/talk/qa")
	if status != 200 || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("qa page: %d %v", status, h)
	}
	for _, want := range []string{"First &lt;script&gt;x&lt;/script&gt;", "Second", `data-audience="qa"`, `data-head="2"`, `&#34;love&#34;:1`} {
		if !strings.Contains(body, want) {
			t.Errorf("qa page lacks %q", want)
		}
	}
	status, body, _ = get(t, w.Fiber, "/events/conf/sessions/talk/speaker")
	if status != 200 || !strings.Contains(body, `data-audience="speaker"`) || !strings.Contains(body, "Second") {
		t.Errorf("speaker view: %d", status)
	}
	status, body, _ = get(t, w.Fiber, "/events/conf/wall")
	if status != 200 || !strings.Contains(body, `data-wall-qa="talk"`) || !strings.Contains(body, "First &lt;script&gt;") {
		t.Errorf("the wall does not show the current session's questions: %d", status)
	}
	if _, body, _ := get(t, w.Fiber, "/events/conf/wall?questions=off"); strings.Contains(body, "data-wall-qa") {
		t.Error("?questions=off still shows the questions")
	}
	status, body, _ = get(t, w.Fiber, "/events/conf")
	if status != 200 || !strings.Contains(body, `data-react data-session="talk"`) || !strings.Contains(body, `href="/events/conf/sessions/talk/qa"`) {
		t.Errorf("the live page has no reaction bar or Q&A link for the live session: %d", status)
	}
	for _, path := range []string{"/events/conf/sessions/nope/qa", "/events/conf/sessions/nope/speaker", "/events/nope/sessions/talk/qa"} {
		if status, body, _ := get(t, w.Fiber, path); status != 404 || !strings.Contains(body, "There is no") {
			t.Errorf("%s = %d", path, status)
		}
	}
}

func TestLiveReadersAreSummedOverNodesAndKeptAsTheMinutesPeak(t *testing.T) {
	a := newTestApp(t)
	now := time.Now()
	ev := seedEvent(t, a, "conf", now.Add(-time.Hour), now.Add(time.Hour))
	log := realtime.NewLog(a.Redis, a.Namespace)
	ctx := context.Background()
	for _, s := range []struct {
		node string
		n    int64
		sum  int64
	}{{"a", 10, 10}, {"b", 5, 15}, {"a", 7, 15}, {"a", 12, 17}} {
		sum, err := log.SampleReaders(ctx, ev.ID, s.node, now, s.n)
		if err != nil {
			t.Fatal(err)
		}
		if sum != s.sum {
			t.Errorf("node %s with %d: sum %d, want %d", s.node, s.n, sum, s.sum)
		}
		if err := a.Store.RecordReaders(ctx, ev.ID, now, sum); err != nil {
			t.Fatal(err)
		}
	}
	var readers int64
	if err := a.DB.Raw(`SELECT readers FROM reader_samples WHERE event_id = ?`, ev.ID).Scan(&readers).Error; err != nil {
		t.Fatal(err)
	}
	if readers != 17 {
		t.Errorf("kept %d readers, want 17", readers)
	}
}
