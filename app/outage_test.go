package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/jobs"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/realtime"
)

// outageRun is one web node with long-poll clients, a poster and a strainer
// over a private Postgres that the test stops and starts.
type outageRun struct {
	t    *testing.T
	pg   *testenv.PostgresServer
	db   *testenv.Database
	app  *App
	base string

	mu        sync.Mutex
	accepted  map[string]string // post text → event slug, for every 201/202
	live5xx   []string          // live answers with a 5xx
	duringOut []string          // texts of posts accepted while Postgres was down
	down      atomic.Bool
}

// liveClient long-polls one event like the live page does and collects the
// text of every item it is shown.
type liveClient struct {
	http *http.Client
	seen sync.Map // text → true
}

// TestLiveStreamAndPostsSurviveAPostgresOutage stops the web node's
// Postgres for several seconds while long-poll clients follow an open event
// and attendees post to it and to a moderated one: every live answer is a
// non-5xx, every post accepted during the outage reaches every client, the
// pages that need Postgres answer 503 with Retry-After, /readyz names
// Postgres, and once Postgres is back the strainer stores every post
// exactly once (docs/ARCHITECTURE.md, "When Postgres is down").
func TestLiveStreamAndPostsSurviveAPostgresOutage(t *testing.T) {
	r := startOutageRun(t)
	open := r.seed("open-conf", models.PostingOpen)
	held := r.seed("held-conf", models.PostingModerated)
	if err := r.db.DB.Create(&models.ModerationRule{EventID: open.ID, Kind: models.RuleWord, Value: "spamword"}).Error; err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()

	strainErrs := r.runStrainer(ctx)
	clients := make([]*liveClient, 4)
	var polls sync.WaitGroup
	for i := range clients {
		clients[i] = r.follow(ctx, &polls, "open-conf")
	}
	var posting sync.WaitGroup
	postCtx, stopPosting := context.WithCancel(ctx)
	posting.Go(func() { r.postLoop(postCtx, "open-conf", "open", 80*time.Millisecond) })
	posting.Go(func() { r.postLoop(postCtx, "held-conf", "held", 300*time.Millisecond) })

	time.Sleep(2 * time.Second) // clients, rules and event copies warm
	r.pg.Stop(t)
	r.down.Store(true)
	t.Log("Postgres stopped")
	time.Sleep(2500 * time.Millisecond) // past every cache's TTL
	r.checkDuringOutage()
	r.post("open-conf", "a spamword post during the outage", http.StatusCreated)
	time.Sleep(4 * time.Second)
	r.pg.Start(t)
	r.down.Store(false)
	t.Log("Postgres started again")
	time.Sleep(2 * time.Second)
	stopPosting()
	posting.Wait()

	r.mu.Lock()
	outage := len(r.duringOut)
	r.mu.Unlock()
	if outage == 0 {
		t.Fatal("no post was accepted while Postgres was down")
	}
	// Every accepted post of the open event reaches every client.
	deadline := time.Now().Add(30 * time.Second)
	for _, c := range clients {
		for text, slug := range r.snapshotAccepted() {
			if slug != "open-conf" || strings.Contains(text, "spamword") {
				continue // held posts and blocked ones are for no client
			}
			for {
				if _, ok := c.seen.Load(text); ok {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("a client never received %q", text)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	stop()
	polls.Wait()
	for _, c := range clients {
		if _, ok := c.seen.Load("a spamword post during the outage"); ok {
			t.Fatal("a post blocked by a rule read before the outage was shown")
		}
	}
	r.mu.Lock()
	if len(r.live5xx) > 0 {
		t.Errorf("%d live answers were 5xx, e.g. %s", len(r.live5xx), r.live5xx[0])
	}
	r.mu.Unlock()
	if strainErrs.Load() == 0 {
		t.Error("the strainer never failed: Postgres was not really down")
	}

	// The strainer catches up: every accepted post in Postgres exactly once.
	strainer := jobs.NewStrainer(r.app.Store, realtime.NewLog(r.app.Redis, r.app.Namespace), jobs.StrainerOptions{})
	if _, err := strainer.StrainAll(context.Background()); err != nil {
		t.Fatalf("strain after the outage: %v", err)
	}
	accepted := r.snapshotAccepted()
	for text, slug := range accepted {
		var n int64
		err := r.db.DB.Raw(`SELECT count(*) FROM items i JOIN events e ON e.id = i.event_id WHERE e.slug = ? AND i.text = ?`, slug, text).Scan(&n).Error
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("post %q of %s is in Postgres %d times, want once", text, slug, n)
		}
	}
	var rows int64
	r.db.DB.Model(&models.Item{}).Where("event_id IN ?", []int64{open.ID, held.ID}).Count(&rows)
	if rows != int64(len(accepted)) {
		t.Errorf("Postgres holds %d items, %d posts were accepted", rows, len(accepted))
	}
	var pending int64
	r.db.DB.Model(&models.Item{}).Where("event_id = ? AND review = ?", held.ID, models.ReviewPending).Count(&pending)
	if pending == 0 || pending != countOf(accepted, "held-conf") {
		t.Errorf("moderated event: %d pending rows, want every accepted post (%d)", pending, countOf(accepted, "held-conf"))
	}
	var hidden int64
	r.db.DB.Model(&models.Item{}).Where("event_id = ? AND hidden", open.ID).Count(&hidden)
	if hidden != 1 {
		t.Errorf("open event: %d hidden rows, want the one spamword post", hidden)
	}
	t.Logf("%d posts accepted, %d of them while Postgres was down; %d strainer runs failed meanwhile", len(accepted), outage, strainErrs.Load())
}

func countOf(m map[string]string, slug string) int64 {
	var n int64
	for _, s := range m {
		if s == slug {
			n++
		}
	}
	return n
}

func startOutageRun(t *testing.T) *outageRun {
	t.Helper()
	pg := testenv.StartPostgres(t)
	db := pg.NewDatabase(t)
	rds := testenv.NewRedis(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	cfg, err := LoadConfig(envMap(map[string]string{"BACKCHANNEL_ENV": "development", "DATA_DIR": t.TempDir(), "HTTP_ADDR": addr, "BASE_URL": "http://" + addr,
		"RATE_LIMIT_POSTS": "100000/min", "RATE_LIMIT_HISTORY": "100000/min"}))
	if err != nil {
		t.Fatal(err)
	}
	a := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), db.DB, rds.Client, rds.Namespace)
	w, err := a.NewWeb()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-w.Hub.Subscribed():
	case <-time.After(10 * time.Second):
		t.Fatal("hub did not subscribe")
	}
	r := &outageRun{t: t, pg: pg, db: db, app: a, base: "http://" + addr, accepted: map[string]string{}}
	for range 100 {
		if res, err := http.Get(r.base + "/healthz"); err == nil {
			res.Body.Close()
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("web node did not listen")
	return nil
}

func (r *outageRun) seed(slug, posting string) models.Event {
	r.t.Helper()
	now := time.Now().UTC()
	ev := models.Event{Slug: slug, Title: slug, Timezone: "UTC", StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour),
		Posting: posting, Moderation: models.ModerationAfter}
	if err := r.db.DB.Create(&ev).Error; err != nil {
		r.t.Fatal(err)
	}
	s := models.Session{EventID: ev.ID, Slug: "keynote", Title: "Keynote", StartsAt: ev.StartsAt, EndsAt: ev.EndsAt}
	if err := r.db.DB.Create(&s).Error; err != nil {
		r.t.Fatal(err)
	}
	return ev
}

// runStrainer strains every 200 ms, as the worker's periodic task does,
// counting the runs that failed.
func (r *outageRun) runStrainer(ctx context.Context) *atomic.Int64 {
	var failed atomic.Int64
	s := jobs.NewStrainer(r.app.Store, realtime.NewLog(r.app.Redis, r.app.Namespace), jobs.StrainerOptions{})
	go func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			if _, err := s.StrainAll(sctx); err != nil && ctx.Err() == nil {
				failed.Add(1)
			}
			cancel()
		}
	}()
	return &failed
}

// liveAnswer is the union of a snapshot and a page of the Live API.
type liveAnswer struct {
	Reset   bool `json:"reset"`
	Items   []struct{ Text string }
	Entries []struct {
		Op   string
		Item *struct{ Text string }
	}
	Epoch string
	Head  int64
	Next  int64
}

// follow starts a client that takes a snapshot, then long-polls.
func (r *outageRun) follow(ctx context.Context, wg *sync.WaitGroup, slug string) *liveClient {
	jar, _ := cookiejar.New(nil)
	c := &liveClient{http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	wg.Go(func() {
		var since int64
		epoch, started := "", false
		for ctx.Err() == nil {
			url := r.base + "/api/events/" + slug + "/live?limit=200"
			if started {
				url = fmt.Sprintf("%s/api/events/%s/live?since=%d&epoch=%s&wait=1", r.base, slug, since, epoch)
			}
			a, ok := r.getLive(ctx, c.http, url)
			if !ok {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			for _, it := range a.Items {
				c.seen.Store(it.Text, true)
			}
			for _, e := range a.Entries {
				if e.Op == "add" && e.Item != nil {
					c.seen.Store(e.Item.Text, true)
				}
			}
			since, epoch, started = a.Next, a.Epoch, true
		}
	})
	return c
}

// getLive sends one live request and records a 5xx.
func (r *outageRun) getLive(ctx context.Context, c *http.Client, url string) (liveAnswer, bool) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	res, err := c.Do(req)
	if err != nil {
		return liveAnswer{}, false
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 500 {
		r.mu.Lock()
		r.live5xx = append(r.live5xx, fmt.Sprintf("GET %s: %d %s", url, res.StatusCode, body))
		r.mu.Unlock()
	}
	var a liveAnswer
	if res.StatusCode != http.StatusOK || json.Unmarshal(body, &a) != nil {
		return liveAnswer{}, false
	}
	return a, true
}

// postLoop posts to an event every interval until ctx ends.
func (r *outageRun) postLoop(ctx context.Context, slug, prefix string, every time.Duration) {
	want := http.StatusCreated
	if prefix == "held" {
		want = http.StatusAccepted
	}
	for i := 0; ctx.Err() == nil; i++ {
		r.post(slug, fmt.Sprintf("%s post %d", prefix, i), want)
		time.Sleep(every)
	}
}

// post sends one attendee post; a 5xx or an unexpected status fails the test.
func (r *outageRun) post(slug, text string, want int) {
	body, _ := json.Marshal(map[string]string{"name": "Ana", "text": text, "client_post_id": strings.ReplaceAll(text, " ", "-")})
	res, err := http.Post(r.base+"/api/events/"+slug+"/posts", "application/json", bytes.NewReader(body))
	if err != nil {
		r.t.Errorf("post %q: %v", text, err)
		return
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 500 {
		r.mu.Lock()
		r.live5xx = append(r.live5xx, fmt.Sprintf("POST %s: %d %s", slug, res.StatusCode, b))
		r.mu.Unlock()
		return
	}
	if res.StatusCode != want {
		r.t.Errorf("post %q to %s: %d %s, want %d", text, slug, res.StatusCode, b, want)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.accepted[text] = slug
	if r.down.Load() {
		r.duringOut = append(r.duringOut, text)
	}
}

func (r *outageRun) snapshotAccepted() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]string, len(r.accepted))
	for k, v := range r.accepted {
		out[k] = v
	}
	return out
}

// checkDuringOutage asks for what works without Postgres and for what
// needs it, while it is down.
func (r *outageRun) checkDuringOutage() {
	t := r.t
	t.Helper()
	for _, tc := range []struct {
		path, want string
		status     int
	}{
		{"/events/open-conf", "Keynote", http.StatusOK},                           // the live page: the event's last good copy, items from Redis
		{"/events/open-conf/wall", "open-conf", http.StatusOK},                    // the wall
		{"/api/events/open-conf/live?limit=10", `"items"`, http.StatusOK},         // a snapshot
		{"/api/events/held-conf/live?since=0&wait=0", `"entries"`, http.StatusOK}, // history from Redis
		{"/events/open-conf/search?q=outagequery", "temporarily unavailable", http.StatusServiceUnavailable},
		{"/api/events/open-conf/items?q=outagequery", `{"error":"This part of the site is temporarily unavailable`, http.StatusServiceUnavailable},
		{"/api/events", `"error"`, http.StatusServiceUnavailable},
		{"/events/open-conf/export.csv", "temporarily unavailable", http.StatusServiceUnavailable},
		{"/", "temporarily unavailable", http.StatusServiceUnavailable},
		{"/readyz", `"postgres":"`, http.StatusServiceUnavailable},
	} {
		res, err := http.Get(r.base + tc.path)
		if err != nil {
			t.Errorf("GET %s: %v", tc.path, err)
			continue
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.status || !strings.Contains(string(b), tc.want) {
			t.Errorf("with Postgres down, GET %s = %d %.300s; want %d with %q", tc.path, res.StatusCode, b, tc.status, tc.want)
		}
		if tc.status == http.StatusServiceUnavailable && tc.path != "/readyz" && res.Header.Get("Retry-After") == "" {
			t.Errorf("GET %s: 503 without Retry-After", tc.path)
		}
		if tc.path == "/readyz" {
			var ready struct{ Checks map[string]string }
			_ = json.Unmarshal(b, &ready)
			if ready.Checks["postgres"] == "ok" || ready.Checks["redis"] != "ok" || ready.Checks["migrations"] == "ok" {
				t.Errorf("/readyz with Postgres down: %s", b)
			}
		}
	}
}
