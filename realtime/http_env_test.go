package realtime

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/internal/apitest"
	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/internal/web"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// liveEnv is a fiber app serving the Live API over a real Log and Hub on the
// test Redis, with events in a test Postgres database.
type liveEnv struct {
	app     *fiber.App
	handler *Handler
	log     *Log
	hub     *Hub
	db      *testenv.Database
	rds     *testenv.Redis
	ev      LiveEvent
}

// newLiveEnv builds the app with one event whose posting mode is posting.
// tweak may change the handler's dependencies before it is built.
func newLiveEnv(t *testing.T, posting string, tweak func(*HandlerDeps)) *liveEnv {
	t.Helper()
	t.Parallel() // each test has its own database and Redis namespace
	db := testenv.NewDatabase(t)
	rds := testenv.NewRedis(t)
	row := models.Event{Slug: "demo-conf", Title: "Demo", Timezone: "UTC",
		StartsAt: time.Now().Add(-time.Hour), EndsAt: time.Now().Add(time.Hour), Posting: posting, Moderation: "after"}
	if err := db.DB.Create(&row).Error; err != nil {
		t.Fatalf("insert event: %v", err)
	}
	e := &liveEnv{db: db, rds: rds, log: NewLog(rds.Client, rds.Namespace),
		ev: LiveEvent{ID: row.ID, Slug: row.Slug, Posting: posting, Moderation: "after"}}
	e.app, e.handler, e.hub = e.newNode(t, tweak)
	return e
}

// newNode builds another web node (hub, handler, app) over the env's Redis
// namespace and database, as a second server behind the same balancer.
func (e *liveEnv) newNode(t *testing.T, tweak func(*HandlerDeps)) (*fiber.App, *Handler, *Hub) {
	t.Helper()
	hub := NewHub(e.rds.Client, e.log, nil, HubOptions{Metrics: NewMetrics(nil)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = hub.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-hub.Subscribed():
	case <-time.After(10 * time.Second):
		t.Fatal("hub did not subscribe")
	}
	deps := HandlerDeps{Hub: hub, Log: e.log, Events: EventsOf(store.NewEvents(store.New(e.db.DB), store.EventsOptions{})), Limiter: NewLimiter(e.rds.Client, e.rds.Namespace),
		KeepAlive: 300 * time.Millisecond}
	if tweak != nil {
		tweak(&deps)
	}
	h := NewHandler(deps)
	// A short WriteTimeout, as production sets a (longer) one: streams must outlive it.
	app := fiber.New(fiber.Config{ErrorHandler: web.Handler(nil), WriteTimeout: time.Second,
		DisableStartupMessage: true})
	h.Register(app)
	// As the app does: long polls at the head take the fast path.
	app.Server().Handler = h.FastLive(app.Server().Handler)
	return app, h, hub
}

// appendItems appends n visible items and returns the head.
func (e *liveEnv) appendItems(t *testing.T, n int) int64 {
	t.Helper()
	var head int64
	for range n {
		it := NewPostItem(PostItemID("", ""), "Ana", "hello", false, time.Now())
		res, err := e.log.AppendItem(context.Background(), e.ev.ID, it)
		if err != nil {
			t.Fatal(err)
		}
		head = res.Seq
	}
	return head
}

// answer is a response as a client sees it.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// call sends a request with an optional cookie client id and body.
func (e *liveEnv) call(t *testing.T, method, path, client, contentType, body string, header ...string) answer {
	t.Helper()
	return callApp(t, e.app, method, path, client, contentType, body, header...)
}

// callApp sends a request to one node's app.
func callApp(t *testing.T, app *fiber.App, method, path, client, contentType, body string, header ...string) answer {
	t.Helper()
	req, _ := http.NewRequest(method, path, strings.NewReader(body))
	if client != "" {
		req.Header.Set("Cookie", ClientCookie+"="+client)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := app.Test(req, 30_000)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	_ = json.Unmarshal(b, &a.body)
	return a
}

func (e *liveEnv) get(t *testing.T, path, client string) answer {
	t.Helper()
	return e.call(t, http.MethodGet, path, client, "", "")
}

func (e *liveEnv) livePath(query string) string {
	return "/api/events/" + e.ev.Slug + "/live" + query
}

// expect fails the test unless the answer has status and, for errors, a
// one-sentence {"error"} body; every live answer must be uncacheable.
func (a answer) expect(t *testing.T, status int) answer {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d; body %s", a.status, status, a.raw)
	}
	if cc := a.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control %q, want no-store", cc)
	}
	if status >= 400 {
		msg, _ := a.body["error"].(string)
		if msg == "" || !strings.HasSuffix(msg, ".") || len(a.body) != 1 {
			t.Fatalf("error body %s is not {\"error\": \"one sentence.\"}", a.raw)
		}
	}
	return a
}

func (a answer) num(key string) int64 {
	f, _ := a.body[key].(float64)
	return int64(f)
}

func (a answer) list(key string) []any {
	l, _ := a.body[key].([]any)
	return l
}

// seqsOf returns the seq of each entry or item of a list.
func seqsOf(l []any) []int64 {
	out := make([]int64, len(l))
	for i, v := range l {
		m, _ := v.(map[string]any)
		f, _ := m["seq"].(float64)
		out[i] = int64(f)
	}
	return out
}

func equalSeqs(a, b []int64) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// serve runs the app on a real loopback listener (for streams, which
// app.Test cannot read while they are open) and returns its base URL.
func (e *liveEnv) serve(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.app.Listener(ln) }()
	t.Cleanup(func() {
		e.handler.Drain()
		_ = e.app.ShutdownWithTimeout(5 * time.Second)
	})
	return "http://" + ln.Addr().String()
}

// api is the env as the scenario runner (internal/apitest) sees it.
func (e *liveEnv) api() *apitest.Env {
	return &apitest.Env{App: e.app, DB: e.db.DB, Redis: e.rds.Client, Namespace: e.rds.Namespace, Log: e.log}
}
