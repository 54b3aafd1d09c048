// Package browser runs the live page and the wall in a real browser: Debian's
// chromium driven by playwright-core (node), against a real backchannel
// server process on real Postgres and Redis. The Go side owns the server (it
// can restart it) and a small control API the browser script calls to append
// and hide items through the same live log the sources use.
package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/realtime"
)

// server is one backchannel process under test (role "serve" or "worker").
type server struct {
	bin  string
	role string
	env  []string
	addr string // for serve: where it listens; empty for a worker
	mu   sync.Mutex
	cmd  *exec.Cmd
	logs *lockedBuffer
}

// lockedBuffer collects a child's output while the test may read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "backchannel")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/backchannel")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func (s *server) start(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logs = &lockedBuffer{}
	s.cmd = exec.Command(s.bin, s.role)
	s.cmd.Env = s.env
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", s.role, err)
	}
	if s.addr == "" {
		return
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + s.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server did not become ready:\n%s", s.logs.String())
}

// stop ends the server the hard way (kill -9): the page must survive a crash.
func (s *server) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

// control is the API the browser script calls to act on the server side.
type control struct {
	t       *testing.T
	log     *realtime.Log
	db      *models.Event
	srv     *server
	worker  *server
	dbConn  *testenv.Database
	counter int
	mu      sync.Mutex
	// rooms is the three-room event rooms.spec.mjs follows; roomItems the
	// items appended to it by seq, so /move can send their update.
	rooms     *models.Event
	roomItems map[int64]live.Item
}

func (c *control) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	reply := func(v any, err error) {
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	switch r.URL.Path {
	case "/append":
		c.mu.Lock()
		c.counter++
		n := c.counter
		c.mu.Unlock()
		text := r.URL.Query().Get("text")
		if text == "" {
			text = fmt.Sprintf("browser test item %d", n)
		}
		now := time.Now().UTC()
		it := live.Item{ID: fmt.Sprintf("mastodon:bt-%d-%d", now.UnixNano(), n), Source: "mastodon", Kind: live.KindPost,
			Author: live.Author{Name: "Tester", Handle: "@tester@example.social"}, Text: text,
			HTML: "<p>" + text + "</p>", CreatedAt: now, ReceivedAt: now}
		// Safe media: ?image=URL attaches a photo, ?sensitive=1 marks it
		// as Mastodon's sensitive does, ?cw= gives a content warning.
		if img := r.URL.Query().Get("image"); img != "" {
			it.Media = []live.Media{{Type: "image", URL: img, ThumbURL: img}}
		}
		it.Sensitive = r.URL.Query().Get("sensitive") == "1"
		it.ContentWarning = r.URL.Query().Get("cw")
		res, err := c.log.AppendItem(ctx, c.db.ID, it)
		c.t.Logf("%s appended seq %d (%q)", time.Now().Format("15:04:05.000"), res.Seq, text)
		reply(map[string]any{"seq": res.Seq, "text": text}, err)
	case "/append-room":
		// An item of the rooms event, placed as ingest places it (session and room).
		q := r.URL.Query()
		c.mu.Lock()
		c.counter++
		n := c.counter
		c.mu.Unlock()
		now := time.Now().UTC()
		it := live.Item{ID: fmt.Sprintf("x:rooms-%d-%d", now.UnixNano(), n), Source: "x", Kind: live.KindPost,
			Author: live.Author{Name: "Tester", Handle: "@tester"}, Text: q.Get("text"),
			Session: q.Get("session"), Room: q.Get("room"), CreatedAt: now, ReceivedAt: now}
		res, err := c.log.AppendItem(ctx, c.rooms.ID, it)
		if err == nil {
			it.Seq = res.Seq
			c.mu.Lock()
			c.roomItems[res.Seq] = it
			c.mu.Unlock()
		}
		reply(map[string]any{"seq": res.Seq}, err)
	case "/move":
		// A moderator's placement as the live log carries it: an update op.
		q := r.URL.Query()
		seq, _ := strconv.ParseInt(q.Get("seq"), 10, 64)
		c.mu.Lock()
		it, ok := c.roomItems[seq]
		c.mu.Unlock()
		if !ok {
			http.Error(w, "no such item", http.StatusNotFound)
			return
		}
		it.Session, it.Room, it.Placed = q.Get("session"), q.Get("room"), true
		res, err := c.log.AppendOp(ctx, c.rooms.ID, live.OpUpdate, seq, &it)
		reply(map[string]any{"seq": res.Seq}, err)
	case "/hide":
		seq, err := strconv.ParseInt(r.URL.Query().Get("seq"), 10, 64)
		if err != nil {
			http.Error(w, "bad seq", http.StatusBadRequest)
			return
		}
		res, err := c.log.AppendOp(ctx, c.db.ID, live.OpHide, seq, nil)
		reply(map[string]any{"seq": res.Seq}, err)
	case "/restart":
		c.srv.stop()
		time.Sleep(500 * time.Millisecond)
		c.srv.start(c.t)
		reply(map[string]any{"ok": true}, nil)
	case "/stop":
		c.srv.stop()
		reply(map[string]any{"ok": true}, nil)
	case "/start":
		c.srv.start(c.t)
		reply(map[string]any{"ok": true}, nil)
	case "/start-worker":
		c.worker.start(c.t)
		reply(map[string]any{"ok": true}, nil)
	case "/kill-worker":
		c.worker.stop()
		reply(map[string]any{"ok": true, "at": time.Now().UnixMilli()}, nil)
	default:
		http.NotFound(w, r)
	}
}

func TestLivePageInARealBrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run scripts/browser-deps.sh (go tool task test does)")
	}
	if _, err := os.Stat("node_modules/playwright-core"); err != nil {
		t.Fatal("playwright-core is not installed: run scripts/browser-deps.sh (go tool task test does)")
	}
	db := testenv.NewDatabase(t)
	rdb := testenv.NewRedis(t)
	now := time.Now().UTC()
	ev := &models.Event{Slug: "browser-conf", Title: "Browser Conf", Hashtag: "browserconf", Timezone: "UTC",
		StartsAt: now.Add(-2 * time.Hour), EndsAt: now.Add(6 * time.Hour), Posting: models.PostingOpen,
		Moderation: models.ModerationAfter}
	if err := db.DB.Create(ev).Error; err != nil {
		t.Fatal(err)
	}
	sess := &models.Session{EventID: ev.ID, Slug: "now-talk", Title: "The Talk Happening Now", Speaker: "Ada",
		StartsAt: now.Add(-30 * time.Minute), EndsAt: now.Add(30 * time.Minute)}
	if err := db.DB.Create(sess).Error; err != nil {
		t.Fatal(err)
	}

	rooms := &models.Event{Slug: "rooms-conf", Title: "Rooms Conf", Timezone: "UTC",
		StartsAt: now.Add(-2 * time.Hour), EndsAt: now.Add(6 * time.Hour), Posting: models.PostingOpen,
		Moderation: models.ModerationAfter}
	if err := db.DB.Create(rooms).Error; err != nil {
		t.Fatal(err)
	}
	for i, r := range []struct{ slug, name, talk, title string }{
		{"hall-a", "Hall A", "a-talk", "Parallel Talk in Hall A"},
		{"room-b", "Room B", "b-talk", "Parallel Talk in Room B"},
		{"room-c", "Room C", "c-talk", "Parallel Talk in Room C"},
	} {
		room := &models.Room{EventID: rooms.ID, Slug: r.slug, Name: r.name, Position: i}
		if err := db.DB.Create(room).Error; err != nil {
			t.Fatal(err)
		}
		s := &models.Session{EventID: rooms.ID, Slug: r.talk, Title: r.title, RoomID: &room.ID,
			Tags:     models.StringList{strings.ReplaceAll(r.talk, "-", "")}, // #atalk, #btalk, #ctalk
			StartsAt: now.Add(-30 * time.Minute), EndsAt: now.Add(30 * time.Minute)}
		if err := db.DB.Create(s).Error; err != nil {
			t.Fatal(err)
		}
	}

	addr := freeAddr(t)
	bin := buildBinary(t)
	srv := &server{bin: bin, role: "serve", addr: addr, env: append(os.Environ(),
		"BACKCHANNEL_ENV=development", // production is the default
		"DATABASE_URL="+db.URL,
		fmt.Sprintf("REDIS_URL=redis://%s/%d", testenv.RedisAddrs()[0], testenv.RedisDB),
		"REDIS_PREFIX="+rdb.Namespace,
		"HTTP_ADDR="+addr,
		"BASE_URL=http://"+addr,
		"DATA_DIR="+t.TempDir(),
		"RATE_LIMIT_POSTS=100/min",
	)}
	srv.start(t)
	t.Cleanup(srv.stop)
	worker := &server{bin: bin, role: "worker", env: srv.env}
	t.Cleanup(worker.stop)

	const adminEmail, adminPassword = "admin@example.org", "a long test password"
	create := exec.Command(bin, "createsuperuser", "--email", adminEmail)
	create.Env, create.Stdin = srv.env, strings.NewReader(adminPassword+"\n")
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("createsuperuser: %v\n%s", err, out)
	}

	ctl := &control{t: t, log: realtime.NewLog(rdb.Client, rdb.Namespace), db: ev, srv: srv, worker: worker, dbConn: db,
		rooms: rooms, roomItems: map[int64]live.Item{}}
	ctlSrv := &http.Server{Handler: ctl}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = ctlSrv.Serve(ln) }()
	t.Cleanup(func() { _ = ctlSrv.Close() })

	// A proxy that holds streams back (as some corporate proxies and
	// antivirus filters do): pages opened through it must fall back to long
	// polling.
	target, _ := url.Parse("http://" + addr)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		if strings.HasSuffix(resp.Request.URL.Path, "/stream") {
			resp.Body = &holdAll{r: resp.Body}
		}
		return nil
	}
	proxyLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxySrv := &http.Server{Handler: proxy}
	go func() { _ = proxySrv.Serve(proxyLn) }()
	t.Cleanup(func() { _ = proxySrv.Close() })

	// Two sites that frame the wall: the event lists only the first.
	embedder := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!DOCTYPE html><title>A conference site</title><h1>Our wall</h1>`+
				`<iframe id="wall" src="http://%s/events/browser-conf/wall" width="1280" height="720"></iframe>`, addr)
		})}
		go func() { _ = srv.Serve(l) }()
		t.Cleanup(func() { _ = srv.Close() })
		return "http://" + l.Addr().String()
	}
	allowedSite, otherSite := embedder(), embedder()
	if err := db.DB.Model(ev).Update("embed_origins", allowedSite).Error; err != nil {
		t.Fatal(err)
	}

	artifacts, _ := filepath.Abs(filepath.Join("..", "..", "artifacts", "browser"))
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{"live.spec.mjs", "admin.spec.mjs", "auth.spec.mjs", "rooms.spec.mjs", "audience.spec.mjs", "wall.spec.mjs"} {
		t.Run(strings.TrimSuffix(spec, ".spec.mjs"), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "node", spec)
			cmd.Env = append(os.Environ(), "BASE_URL=http://"+addr, "CONTROL_URL=http://"+ln.Addr().String(),
				"BUFFERING_PROXY_URL=http://"+proxyLn.Addr().String(),
				"EVENT=browser-conf", fmt.Sprintf("EVENT_ID=%d", ev.ID), "CHROMIUM="+chromium, "ARTIFACTS="+artifacts,
				"ADMIN_EMAIL="+adminEmail, "ADMIN_PASSWORD="+adminPassword, "ROOMS_EVENT="+rooms.Slug,
				"EMBED_ALLOWED_URL="+allowedSite, "EMBED_OTHER_URL="+otherSite)
			out, err := cmd.CombinedOutput()
			t.Logf("browser script output:\n%s", out)
			if err != nil {
				t.Fatalf("browser checks failed: %v\nserver log (tail):\n%s", err, tail(srv.logs.String(), 3000))
			}
			if !strings.Contains(string(out), "all browser checks passed") {
				t.Fatal("browser script ended without its closing line")
			}
		})
	}
}

// holdAll gives nothing of a body until all of it came: a stream, which
// never ends, gets nothing through.
type holdAll struct {
	r    io.ReadCloser
	buf  []byte
	done bool
}

func (h *holdAll) Read(p []byte) (int, error) {
	if !h.done {
		b, err := io.ReadAll(h.r)
		h.buf, h.done = b, true
		if err != nil && len(b) == 0 {
			return 0, err
		}
	}
	if len(h.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, h.buf)
	h.buf = h.buf[n:]
	return n, nil
}

func (h *holdAll) Close() error { return h.r.Close() }

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
