package archive

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/internal/apitest"
	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
	"github.com/backchannel/backchannel/views"
)

// t0 is when the test event starts.
var t0 = time.Date(2026, 5, 24, 13, 0, 0, 0, time.UTC)

type env struct {
	t     testing.TB
	db    *testenv.Database
	redis *testenv.Redis
	h     *Handler
	app   *fiber.App
	ev    models.Event
	talk  models.Session // t0 .. t0+1h
	panel models.Session // t0+1h .. t0+2h
	seq   int64
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, db: testenv.NewDatabase(t), redis: testenv.NewRedis(t)}
	e.ev = models.Event{Slug: "conf", Title: "Conf 2026", Timezone: "America/New_York",
		StartsAt: t0, EndsAt: t0.Add(8 * time.Hour), Posting: "open", Moderation: "after"}
	must(t, e.db.DB.Create(&e.ev).Error)
	hall := models.Room{EventID: e.ev.ID, Slug: "main-hall", Name: "Main Hall"}
	must(t, e.db.DB.Create(&hall).Error)
	e.talk = models.Session{EventID: e.ev.ID, Slug: "keynote", Title: "The Future of CSS", Speaker: "Jen", RoomID: &hall.ID,
		StartsAt: t0, EndsAt: t0.Add(time.Hour)}
	e.panel = models.Session{EventID: e.ev.ID, Slug: "panel", Title: "Panel", StartsAt: t0.Add(time.Hour), EndsAt: t0.Add(2 * time.Hour)}
	must(t, e.db.DB.Create(&e.talk).Error)
	must(t, e.db.DB.Create(&e.panel).Error)
	e.h = NewHandler(store.New(e.db.DB), store.NewEvents(store.New(e.db.DB), store.EventsOptions{}), Options{BaseURL: "https://bc.example", Redis: e.redis.Client, Namespace: e.redis.Namespace,
		Now: func() time.Time { return t0.Add(3 * time.Hour) }})
	e.app = fiber.New(fiber.Config{ErrorHandler: web.Handler(views.RenderError)})
	e.h.Register(e.app)
	return e
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// add stores a visible item in a session (nil for none), created at t0+at.
func (e *env) add(s *models.Session, at time.Duration, mod func(*models.Item)) models.Item {
	e.t.Helper()
	e.seq++
	it := models.Item{EventID: e.ev.ID, Seq: e.seq, Source: "mastodon", ExternalID: fmt.Sprint(e.seq), Kind: "post",
		AuthorName: fmt.Sprintf("Poster %d", e.seq%5), AuthorHandle: fmt.Sprintf("@p%d@example.social", e.seq%5),
		Text: fmt.Sprintf("item %d says hello", e.seq), HTML: fmt.Sprintf("<p>item %d says hello</p>", e.seq),
		Media: json.RawMessage("[]"), CreatedAt: t0.Add(at), ReceivedAt: t0.Add(at), Review: models.ReviewApproved}
	if s != nil {
		it.SessionID = &s.ID
	}
	if mod != nil {
		mod(&it)
	}
	must(e.t, e.db.DB.Create(&it).Error)
	e.bump()
	return it
}

func (e *env) bump() {
	e.t.Helper()
	must(e.t, BumpVersion(context.Background(), e.redis.Client, e.redis.Namespace, e.ev.ID))
}

// get returns the status and body of a GET.
func (e *env) get(path string) (int, string) {
	e.t.Helper()
	res, err := e.app.Test(httptest.NewRequest("GET", path, nil), 10000)
	if err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (e *env) ok(path string) string {
	e.t.Helper()
	st, body := e.get(path)
	if st != 200 {
		e.t.Fatalf("GET %s = %d: %s", path, st, body)
	}
	return body
}

// api is the env as the scenario runner (internal/apitest) sees it.
func (e *env) api() *apitest.Env {
	return &apitest.Env{App: e.app, DB: e.db.DB, Redis: e.redis.Client, Namespace: e.redis.Namespace}
}
