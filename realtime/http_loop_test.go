package realtime

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/backchannel/backchannel/internal/clientip"
	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/internal/web"
)

// twoNodes is one live env served twice: node A by fiber's own fasthttp
// server with the fast path (the app before the loops), node B by the loop
// server. Both hubs read the same Redis log.
type twoNodes struct {
	e            *liveEnv
	fiber, loops string
	lh           *Handler
	ls           *LoopServer
	head         int64
	epoch        string
}

const (
	clientA = "D83sZAoKPrd78--G8knvoA"
	clientB = "Qm9vdHN0cmFwcGVkLWNsaQ"
)

func newTwoNodes(t *testing.T, tweak func(*HandlerDeps)) *twoNodes {
	t.Helper()
	e := newLiveEnv(t, PostingOpen, tweak)
	n := &twoNodes{e: e}
	n.head = e.appendItems(t, 3)
	n.fiber = serveFiber(t, e.app, e.handler)
	app, h, _ := e.newNode(t, tweak)
	n.lh = h
	n.loops, n.ls = serveLoops(t, app, h)
	// Load the windows and the event caches of both nodes.
	for _, addr := range []string{n.fiber, n.loops} {
		rc := dialRaw(t, addr)
		rc.send("GET", e.livePath(""), "Cookie: "+ClientCookie+"="+clientA)
		a := rc.read(10 * time.Second)
		var snap struct{ Epoch string }
		if err := json.Unmarshal(a.body, &snap); err != nil || !strings.HasSuffix(a.status, "200 OK") {
			t.Fatalf("snapshot: %s %s", a.status, a.body)
		}
		n.epoch = snap.Epoch
	}
	return n
}

// both sends one request to each node on a fresh connection and returns
// node A's (fiber's) answer and node B's (the loops').
func (n *twoNodes) both(t *testing.T, method, target string, headers ...string) (rawAnswer, rawAnswer) {
	t.Helper()
	var answers [2]rawAnswer
	for i, addr := range []string{n.fiber, n.loops} {
		rc := dialRaw(t, addr)
		rc.send(method, target, headers...)
		answers[i] = rc.read(10 * time.Second)
	}
	return answers[0], answers[1]
}

func cookie(id string) string { return "Cookie: " + ClientCookie + "=" + id }

func TestTheLoopsAnswerLivePollsExactlyAsFiberDoes(t *testing.T) {
	n := newTwoNodes(t, nil)
	slug, head, epoch := n.e.ev.Slug, n.head, n.epoch
	live := func(q string) string { return "/api/events/" + slug + "/live" + q }
	cases := []struct {
		name, method, target string
		headers              []string
	}{
		{"entries behind the head", "GET", live(fmt.Sprintf("?since=%d&epoch=%s&wait=5", head-2, epoch)), []string{cookie(clientA)}},
		{"a limit cuts the page", "GET", live(fmt.Sprintf("?since=%d&epoch=%s&wait=5&limit=1", head-3, epoch)), []string{cookie(clientA)}},
		{"a wrong epoch resets", "GET", live(fmt.Sprintf("?since=%d&epoch=old-epoch&wait=5", head)), []string{cookie(clientA)}},
		{"a since beyond the head resets", "GET", live(fmt.Sprintf("?since=%d&wait=5", head+5)), []string{cookie(clientA)}},
		{"nothing arrives before the wait ends", "GET", live(fmt.Sprintf("?since=%d&epoch=%s&wait=1", head, epoch)), []string{cookie(clientA)}},
		{"a new browser gets its cookie", "GET", live(fmt.Sprintf("?since=%d&wait=5", head-1)), nil},
		{"a malformed cookie is replaced", "GET", live(fmt.Sprintf("?since=%d&wait=5", head-1)), []string{cookie("short")}},
		{"a quoted cookie", "GET", live(fmt.Sprintf("?since=%d&wait=5", head-1)), []string{cookie(`"` + clientA + `"`)}},
		{"a snapshot", "GET", live(""), []string{cookie(clientA)}},
		{"a poll that does not wait", "GET", live(fmt.Sprintf("?since=%d&wait=0", head)), []string{cookie(clientA)}},
		{"a malformed since", "GET", live("?since=x&wait=5"), []string{cookie(clientA)}},
		{"a repeated parameter", "GET", live("?since=1&since=2"), []string{cookie(clientA)}},
		{"a wait too long", "GET", live("?since=1&wait=99"), []string{cookie(clientA)}},
		{"a malformed query", "GET", live("?since=1;wait=2"), []string{cookie(clientA)}},
		{"an unknown event", "GET", "/api/events/no-such-event/live?since=1&wait=5", []string{cookie(clientA)}},
		{"a slug that is no slug", "GET", "/api/events/Not_A_Slug/live?since=1&wait=5", []string{cookie(clientA)}},
		{"a path fiber reads loosely", "GET", "/API/events/" + slug + "/live?since=1&wait=5", []string{cookie(clientA)}},
		{"a trailing slash", "GET", live("/?since=1&wait=5"), []string{cookie(clientA)}},
		{"a HEAD request", "HEAD", live("?since=1&wait=5"), []string{cookie(clientA)}},
		{"a request that closes its connection", "GET", live(fmt.Sprintf("?since=%d&wait=5", head-1)), []string{cookie(clientA), "Connection: close"}},
		{"a request with a body", "GET", live(fmt.Sprintf("?since=%d&wait=5", head-1)), []string{cookie(clientA), "Content-Length: 2", "", "{}"}},
		{"a route the loops do not serve", "GET", "/api/events/" + slug + "/nothing", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			headers := tc.headers
			body := ""
			if i := indexOf(headers, ""); i >= 0 { // a body after the blank line
				body, headers = strings.Join(headers[i+1:], ""), headers[:i]
			}
			var answers [2]rawAnswer
			for i, addr := range []string{n.fiber, n.loops} {
				rc := dialRaw(t, addr)
				var b strings.Builder
				fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: test\r\n", tc.method, tc.target)
				for _, h := range headers {
					b.WriteString(h + "\r\n")
				}
				b.WriteString("\r\n" + body)
				rc.write(b.String())
				if tc.method == "HEAD" {
					answers[i] = rc.readHead(10 * time.Second)
				} else {
					answers[i] = rc.read(10 * time.Second)
				}
			}
			if got, want := answers[1].comparable(), answers[0].comparable(); got != want {
				t.Fatalf("the loops answered\n%s\n\nfiber answered\n%s", got, want)
			}
		})
	}
}

func indexOf(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}

func TestTheLoopsStreamExactlyAsFiberDoes(t *testing.T) {
	n := newTwoNodes(t, nil)
	stream := "/api/events/" + n.e.ev.Slug + "/stream"
	cases := []struct {
		name, target string
		headers      []string
		events       int
	}{
		{"resumed by Last-Event-ID", stream, []string{cookie(clientA), "Last-Event-ID: 1"}, 4},  // retry, ready, 2, 3
		{"resumed by since", stream + "?since=2", []string{cookie(clientA)}, 3},                 // retry, ready, 3
		{"without a position: a snapshot", stream, []string{cookie(clientA)}, 3},                // retry, ready, snapshot
		{"a new browser", stream + "?since=1", nil, 4},                                          // (its cookie)
		{"a wrong epoch: a reset", stream + "?since=3&epoch=old", []string{cookie(clientA)}, 3}, // retry, ready, reset
		{"a since beyond the head: a reset", stream + "?since=9", []string{cookie(clientA)}, 3}, // retry, ready, reset
		{"Last-Event-ID overrides since", stream + "?since=0", []string{cookie(clientA), "Last-Event-ID: 2"}, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var heads [2]string
			var events [2][]sseEvent
			for i, addr := range []string{n.fiber, n.loops} {
				rc := dialRaw(t, addr)
				rc.send("GET", tc.target, tc.headers...)
				a := rc.readHead(10 * time.Second)
				heads[i] = a.comparable()
				events[i] = rc.sseEvents(tc.events, 10*time.Second)
			}
			if heads[1] != heads[0] {
				t.Fatalf("the loops' head\n%s\n\nfiber's\n%s", heads[1], heads[0])
			}
			if fmt.Sprint(events[1]) != fmt.Sprint(events[0]) {
				t.Fatalf("the loops sent %+v\nfiber sent %+v", events[1], events[0])
			}
		})
	}
	t.Run("a malformed Last-Event-ID", func(t *testing.T) {
		a, b := n.both(t, "GET", stream, cookie(clientA), "Last-Event-ID: abc")
		if b.comparable() != a.comparable() || !strings.Contains(a.status, "400") {
			t.Fatalf("the loops answered\n%s\n\nfiber answered\n%s", b.comparable(), a.comparable())
		}
	})
}

func TestTheLoopsApplyTheSameLimitsAsFiber(t *testing.T) {
	// Loopback is the trusted proxy: the address is X-Forwarded-For's
	// right-most entry, on fiber's path (ClientAddr) and the loops' alike.
	proxy, err := clientip.New([]string{"127.0.0.1/32"})
	if err != nil {
		t.Fatal(err)
	}
	n := newTwoNodes(t, func(d *HandlerDeps) {
		d.MaxWaitsPerClient = 2
		d.MaxWaitsPerAddress = 3
		d.ClientAddr = proxy.String
		d.ClientAddrOf = func(peer netip.Addr, xff [][]byte) string { return proxy.Resolve(peer, xff).String() }
		d.HistoryRate = RateLimit{Count: 2, Period: time.Minute}
	})
	slug, head := n.e.ev.Slug, n.head
	at := fmt.Sprintf("/api/events/%s/live?since=%d&wait=3", slug, head)
	t.Run("too many waits of one browser", func(t *testing.T) {
		var answers [2]rawAnswer
		for i, addr := range []string{n.fiber, n.loops} {
			id := []string{"aaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbb"}[i]
			for range 2 { // the browser's two waits
				rc := dialRaw(t, addr)
				rc.send("GET", at, cookie(id))
			}
			time.Sleep(200 * time.Millisecond)
			rc := dialRaw(t, addr)
			rc.send("GET", at, cookie(id))
			answers[i] = rc.read(10 * time.Second)
		}
		if answers[1].comparable() != answers[0].comparable() || !strings.Contains(answers[0].status, "429") {
			t.Fatalf("the loops answered\n%s\n\nfiber answered\n%s", answers[1].comparable(), answers[0].comparable())
		}
	})
	t.Run("too many waits from one address behind the proxy", func(t *testing.T) {
		var answers [2]rawAnswer
		for i, addr := range []string{n.fiber, n.loops} {
			client := []string{"198.51.100.7", "198.51.100.8"}[i]
			xff := "X-Forwarded-For: 6.6.6.6, " + client
			fallbacks := n.ls.fallbacks.Load()
			for j := range 3 { // three browsers of one venue
				rc := dialRaw(t, addr)
				rc.send("GET", at, cookie(fmt.Sprintf("venue%d%016d", i, j)), xff)
			}
			waitUntil(t, func() bool { return n.lh.ipWaits.count(client) == 3 || n.e.handler.ipWaits.count(client) == 3 })
			if f := n.ls.fallbacks.Load() - fallbacks; addr == n.loops && f != 0 {
				t.Fatalf("%d of the parked polls went to fiber: the loops must admit them themselves", f)
			}
			rc := dialRaw(t, addr)
			rc.send("GET", at, cookie(fmt.Sprintf("venue%d%016d", i, 9)), xff)
			answers[i] = rc.read(10 * time.Second)
			// Another address behind the same proxy still gets in.
			other := dialRaw(t, addr)
			other.send("GET", fmt.Sprintf("/api/events/%s/live?since=%d&wait=0", slug, head), cookie(fmt.Sprintf("other%d%016d", i, 0)), "X-Forwarded-For: "+client+", 203.0.113.5")
			if a := other.read(10 * time.Second); !strings.Contains(a.status, "200") {
				t.Fatalf("another address was refused: %s %s", a.status, a.body)
			}
		}
		if answers[1].comparable() != answers[0].comparable() || !strings.Contains(answers[0].status, "429") {
			t.Fatalf("the loops answered\n%s\n\nfiber answered\n%s", answers[1].comparable(), answers[0].comparable())
		}
	})
	t.Run("the history limit", func(t *testing.T) {
		var answers [2]rawAnswer
		for i, addr := range []string{n.fiber, n.loops} {
			id := []string{"cccccccccccccccccccccc", "dddddddddddddddddddddd"}[i]
			for range 2 {
				rc := dialRaw(t, addr)
				rc.send("GET", "/api/events/"+slug+"/live", cookie(id))
				if a := rc.read(10 * time.Second); !strings.Contains(a.status, "200") {
					t.Fatalf("snapshot: %s", a.status)
				}
			}
			rc := dialRaw(t, addr)
			rc.send("GET", "/api/events/"+slug+"/live", cookie(id))
			answers[i] = rc.read(10 * time.Second)
		}
		if answers[1].comparable() != answers[0].comparable() || !strings.Contains(answers[0].status, "429") {
			t.Fatalf("the loops answered\n%s\n\nfiber answered\n%s", answers[1].comparable(), answers[0].comparable())
		}
	})
}

func TestTheLoopsAnswerEveryParkedPollWhenAnEntryArrives(t *testing.T) {
	n := newTwoNodes(t, nil)
	const polls = 50
	at := fmt.Sprintf("/api/events/%s/live?since=%d&epoch=%s&wait=20", n.e.ev.Slug, n.head, n.epoch)
	conns := make([]*rawConn, polls)
	for i := range conns {
		conns[i] = dialRaw(t, n.loops)
		conns[i].send("GET", at, cookie(fmt.Sprintf("client%016d", i)))
	}
	hub := n.lh.deps.Hub
	waitUntil(t, func() bool { return hub.Waiting() == polls })
	seq := n.e.appendItems(t, 1)
	for i, rc := range conns {
		a := rc.read(10 * time.Second)
		var page struct {
			Entries []struct{ Seq int64 } `json:"entries"`
			Next    int64                 `json:"next"`
		}
		if err := json.Unmarshal(a.body, &page); err != nil || len(page.Entries) != 1 || page.Entries[0].Seq != seq || page.Next != seq {
			t.Fatalf("poll %d answered %s %s, want entry %d", i, a.status, a.body, seq)
		}
	}
	waitUntil(t, func() bool { return hub.Waiting() == 0 })
	if k := n.lh.waits.keys(); k != 0 {
		t.Fatalf("%d clients still hold waiting slots", k)
	}
}

func TestAPollWhoseClientLeftIsForgottenAtOnce(t *testing.T) {
	n := newTwoNodes(t, nil)
	rc := dialRaw(t, n.loops)
	rc.send("GET", fmt.Sprintf("/api/events/%s/live?since=%d&wait=50", n.e.ev.Slug, n.head), cookie(clientA))
	hub := n.lh.deps.Hub
	waitUntil(t, func() bool { return hub.Waiting() == 1 })
	rc.c.Close()
	// fasthttp would have kept this wait for its 50 s; the loops see the
	// close and give back the gauge, the slot and the registration.
	waitUntil(t, func() bool { return hub.Waiting() == 0 && n.lh.waits.count(clientA) == 0 })
	ev := hub.lookup(n.e.ev.ID)
	waitUntil(t, func() bool { return ev.waiters.Load() == 0 })
}

func TestOneConnectionMovesBetweenTheLoopsAndFiber(t *testing.T) {
	n := newTwoNodes(t, nil)
	base := n.ls.open.Load() // the snapshot's connection of newTwoNodes is still open
	rc := dialRaw(t, n.loops)
	slug := n.e.ev.Slug
	poll := func() {
		t.Helper()
		rc.send("GET", fmt.Sprintf("/api/events/%s/live?since=%d&wait=5", slug, n.head-1), cookie(clientA))
		if a := rc.read(10 * time.Second); !strings.Contains(string(a.body), `"entries":[{`) {
			t.Fatalf("poll answered %s %s", a.status, a.body)
		}
	}
	poll()
	if n.ls.open.Load() != base+1 {
		t.Fatalf("%d connections on the loops after a poll, want %d", n.ls.open.Load(), base+1)
	}
	// A browser reuses the connection for an attendee's post: fiber's.
	body := `{"name":"Ana","text":"hello from the same connection"}`
	rc.send("POST", "/api/events/"+slug+"/posts", cookie(clientA), "Content-Type: application/json",
		"Content-Length: "+strconv.Itoa(len(body)))
	rc.write(body)
	if a := rc.read(10 * time.Second); !strings.Contains(a.status, "201") {
		t.Fatalf("post answered %s %s", a.status, a.body)
	}
	waitUntil(t, func() bool { return n.ls.open.Load() == base })
	// The next poll moves it back.
	poll()
	waitUntil(t, func() bool { return n.ls.open.Load() == base+1 })
	poll()
}

func TestPipelinedPollsAreAnsweredInOrder(t *testing.T) {
	n := newTwoNodes(t, nil)
	rc := dialRaw(t, n.loops)
	var b strings.Builder
	for _, since := range []int64{n.head - 1, n.head - 2, n.head - 3} {
		fmt.Fprintf(&b, "GET /api/events/%s/live?since=%d&wait=5 HTTP/1.1\r\nHost: t\r\n%s\r\n\r\n", n.e.ev.Slug, since, cookie(clientA))
	}
	rc.write(b.String())
	for _, want := range []int{1, 2, 3} {
		a := rc.read(10 * time.Second)
		var page struct{ Entries []json.RawMessage }
		if err := json.Unmarshal(a.body, &page); err != nil || len(page.Entries) != want {
			t.Fatalf("answer %s %s, want %d entries", a.status, a.body, want)
		}
	}
}

func TestTheLoopsFollowAStreamAndEndItWhenTheNodeDrains(t *testing.T) {
	n := newTwoNodes(t, nil) // KeepAlive is 300ms in tests
	rc := dialRaw(t, n.loops)
	rc.send("GET", "/api/events/"+n.e.ev.Slug+"/stream", cookie(clientA), fmt.Sprintf("Last-Event-ID: %d", n.head))
	if a := rc.readHead(10 * time.Second); !strings.Contains(a.status, "200") || !a.chunked {
		t.Fatalf("stream answered %s %v", a.status, a.headers)
	}
	evs := rc.sseEvents(3, 10*time.Second)
	if evs[0].comment != "retry 2000" || evs[1].event != "ready" || evs[2].comment != "keep-alive" {
		t.Fatalf("an idle stream sent %+v, want retry, ready, a keep-alive", evs)
	}
	if n.lh.deps.Hub.Waiting() != 1 {
		t.Fatalf("waiting gauge %d with one open stream", n.lh.deps.Hub.Waiting())
	}
	seq := n.e.appendItems(t, 2)
	var got []string
	for len(got) < 2 {
		for _, ev := range rc.sseEvents(1, 10*time.Second) {
			if ev.comment == "" {
				got = append(got, ev.id)
			}
		}
	}
	if got[0] != strconv.FormatInt(seq-1, 10) || got[1] != strconv.FormatInt(seq, 10) {
		t.Fatalf("stream sent ids %v, want %d and %d", got, seq-1, seq)
	}
	n.lh.Drain()
	for {
		if rc.readChunk(10*time.Second) == nil {
			break
		}
	}
	rc.expectClosed(10 * time.Second)
	waitUntil(t, func() bool { return n.lh.deps.Hub.Waiting() == 0 })
}

func TestAStreamWithoutAPositionIsAdoptedAfterItsSnapshot(t *testing.T) {
	n := newTwoNodes(t, nil)
	rc := dialRaw(t, n.loops)
	rc.send("GET", "/api/events/"+n.e.ev.Slug+"/stream", cookie(clientA))
	rc.readHead(10 * time.Second)
	evs := rc.sseEvents(3, 10*time.Second)
	if evs[2].event != "snapshot" || evs[2].id != strconv.FormatInt(n.head, 10) {
		t.Fatalf("stream began %+v, want retry, ready, a snapshot at %d", evs, n.head)
	}
	seq := n.e.appendItems(t, 1)
	for {
		ev := rc.sseEvents(1, 10*time.Second)[0]
		if ev.comment != "" {
			continue
		}
		if ev.id != strconv.FormatInt(seq, 10) || ev.event != "add" {
			t.Fatalf("after the snapshot the stream sent %+v, want entry %d", ev, seq)
		}
		break
	}
}

func TestDrainAnswersParkedPollsAndRefusesNewOnes(t *testing.T) {
	n := newTwoNodes(t, nil)
	at := fmt.Sprintf("/api/events/%s/live?since=%d&wait=30", n.e.ev.Slug, n.head)
	parked := dialRaw(t, n.loops)
	parked.send("GET", at, cookie(clientA))
	waitUntil(t, func() bool { return n.lh.deps.Hub.Waiting() == 1 })
	n.lh.Drain()
	if a := parked.read(10 * time.Second); !strings.Contains(a.status, "200") || !strings.Contains(string(a.body), `"entries":[]`) {
		t.Fatalf("a parked poll at drain answered %s %s", a.status, a.body)
	}
	n.e.handler.Drain()
	a, b := n.both(t, "GET", at, cookie(clientA))
	if b.comparable() != a.comparable() || !strings.Contains(a.status, "503") {
		t.Fatalf("while draining the loops answered\n%s\n\nfiber answered\n%s", b.comparable(), a.comparable())
	}
}

func TestManyClientsPollThroughTheLoopsWithoutLossOrDuplicates(t *testing.T) {
	n := newTwoNodes(t, nil)
	const clients, items = 40, 30
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	last := n.head + items
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc := dialRaw(t, n.loops)
			since, seen := n.head, map[int64]bool{}
			for since < last && ctx.Err() == nil {
				rc.send("GET", fmt.Sprintf("/api/events/%s/live?since=%d&epoch=%s&wait=10", n.e.ev.Slug, since, n.epoch),
					cookie(fmt.Sprintf("many%018d", i)))
				a := rc.read(30 * time.Second)
				var page struct {
					Entries []struct{ Seq int64 } `json:"entries"`
					Next    int64                 `json:"next"`
				}
				if err := json.Unmarshal(a.body, &page); err != nil {
					errs <- fmt.Errorf("client %d: %s %s", i, a.status, a.body)
					return
				}
				for _, e := range page.Entries {
					if seen[e.Seq] || e.Seq <= since {
						errs <- fmt.Errorf("client %d: entry %d twice", i, e.Seq)
						return
					}
					seen[e.Seq] = true
				}
				since = page.Next
			}
			if len(seen) != items {
				errs <- fmt.Errorf("client %d saw %d of %d entries", i, len(seen), items)
			}
		}()
	}
	for range items {
		n.e.appendItems(t, 1)
		time.Sleep(5 * time.Millisecond)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// BenchmarkLoopMemoryPerWaitingClient parks polls on the loops (clients are
// bare sockets of this process that send one request and read nothing) and
// reports the server's heap per waiting client after a GC, the process's
// RSS growth per client, and the goroutines (none per client). The load run
// (task load) measures the RSS of a separate server at 19,000 clients.
func BenchmarkLoopMemoryPerWaitingClient(b *testing.B) {
	const clients = 4000
	rds := testenv.NewRedis(b)
	l := NewLog(rds.Client, rds.Namespace)
	hub := startHub(b, rds.Client, l, nil, HubOptions{Metrics: NewMetrics(nil)})
	ev := LiveEvent{ID: 7, Slug: "bench-conf", Posting: PostingOpen, Moderation: "after"}
	h := NewHandler(HandlerDeps{Hub: hub, Log: l, Events: oneLiveEvent{ev}, Limiter: NewLimiter(rds.Client, rds.Namespace)})
	app := fiber.New(fiber.Config{ErrorHandler: web.Handler(nil), DisableStartupMessage: true})
	h.Register(app)
	addr, _ := serveLoops(b, app, h)
	if _, err := l.AppendItem(context.Background(), ev.ID, NewPostItem(PostItemID("", ""), "Ana", "hello", false, time.Now())); err != nil {
		b.Fatal(err)
	}
	rc := dialRaw(b, addr)
	rc.send("GET", "/api/events/bench-conf/live", cookie(clientA)) // loads the window and the event cache
	var snap struct {
		Epoch string `json:"epoch"`
		Head  int64  `json:"head"`
	}
	if err := json.Unmarshal(rc.read(10*time.Second).body, &snap); err != nil {
		b.Fatal(err)
	}
	host, portText, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portText)
	var sa syscall.SockaddrInet4
	sa.Port = port
	copy(sa.Addr[:], net.ParseIP(host).To4())
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rss0 := rssBytes()
	b.ResetTimer()
	for range b.N {
		fds := make([]int, 0, clients)
		for i := range clients {
			fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
			if err != nil {
				b.Fatal(err)
			}
			fds = append(fds, fd)
			if err := syscall.Connect(fd, &sa); err != nil {
				b.Fatal(err)
			}
			req := fmt.Sprintf("GET /api/events/bench-conf/live?since=%d&epoch=%s&wait=55 HTTP/1.1\r\nHost: t\r\nCookie: %s=%s\r\n\r\n",
				snap.Head, snap.Epoch, ClientCookie, fmt.Sprintf("m%021d", i))
			if _, err := syscall.Write(fd, []byte(req)); err != nil {
				b.Fatal(err)
			}
		}
		for end := time.Now().Add(60 * time.Second); hub.Waiting() < clients && time.Now().Before(end); {
			time.Sleep(10 * time.Millisecond)
		}
		if w := hub.Waiting(); w != clients {
			b.Fatalf("%d of %d polls parked", w, clients)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(int64(after.HeapInuse+after.StackInuse)-int64(before.HeapInuse+before.StackInuse))/clients, "heap-B/client")
		b.ReportMetric(float64(rssBytes()-rss0)/clients, "rss-B/client")
		b.ReportMetric(float64(runtime.NumGoroutine()), "goroutines")
		for _, fd := range fds {
			syscall.Close(fd)
		}
		for end := time.Now().Add(30 * time.Second); hub.Waiting() > 0 && time.Now().Before(end); {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// oneEvent is an EventLookup of a single event.
// rssBytes is this process's resident set size.
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, rss int64
	_, _ = fmt.Sscan(string(b), &size, &rss)
	return rss * int64(os.Getpagesize())
}

// An idle loop must park its goroutine on Go's netpoller, not block its thread
// in epoll_wait: a thread blocked in a system call has its scheduler slot
// taken back by the runtime's monitor thread, which then wakes every 20 µs for
// a while; that was the largest cost of a long poll beside nginx
// (docs/figures.md, Round 5; third_party/gnet/BACKCHANNEL.md).
func TestIdleLoopsWaitOnGosNetpollerNotInASystemCall(t *testing.T) {
	n := newTwoNodes(t, nil)
	rc := dialRaw(t, n.loops)
	rc.send("GET", fmt.Sprintf("/api/events/%s/live?since=%d&epoch=%s&wait=20", n.e.ev.Slug, n.head, n.epoch), cookie(clientB))
	waitUntil(t, func() bool { return n.lh.deps.Hub.Waiting() == 1 })

	// Other tests' loops may be busy; none may be blocked in a system call.
	var states []string
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		states = loopGoroutineStates()
		waiting, blocked := 0, 0
		for _, s := range states {
			switch {
			case strings.HasPrefix(s, "syscall"):
				blocked++
			case strings.HasPrefix(s, "IO wait"):
				waiting++
			}
		}
		if blocked == 0 && waiting >= n.ls.opts.Loops {
			return
		}
	}
	t.Fatalf("loop goroutines %q, want %d or more in IO wait and none in a system call", states, n.ls.opts.Loops)
}

// loopGoroutineStates returns the scheduler state ("IO wait", "syscall", ...)
// of every goroutine inside gnet's poller.
func loopGoroutineStates() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var states []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if !strings.Contains(g, "netpoll.(*Poller).Polling") {
			continue
		}
		header, _, _ := strings.Cut(g, "\n")
		if _, st, ok := strings.Cut(header, "["); ok {
			states = append(states, strings.TrimSuffix(st, "]:"))
		}
	}
	return states
}
