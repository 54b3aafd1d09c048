package realtime

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/internal/clientip"
)

func TestSnapshotAnswersNewestVisibleItemsOldestFirst(t *testing.T) {
	e := newLiveEnv(t, "open", nil)
	e.appendItems(t, 3)
	held := NewPostItem("room:held", "Bo", "wait for me", true, time.Now())
	if _, err := e.log.AppendItem(context.Background(), e.ev.ID, held); err != nil {
		t.Fatal(err)
	}
	a := e.get(t, e.livePath("?limit=2"), "").expect(t, http.StatusOK)
	if got := seqsOf(a.list("items")); !equalSeqs(got, []int64{2, 3}) {
		t.Fatalf("items %v, want [2 3] (newest visible, oldest first)", got)
	}
	if a.num("head") != 4 || a.num("next") != 4 || a.body["epoch"] == "" || a.body["reset"] != nil {
		t.Fatalf("snapshot position wrong: %s", a.raw)
	}
	cookie := a.header.Get("Set-Cookie")
	if !strings.HasPrefix(cookie, ClientCookie+"=") || !strings.Contains(cookie, "HttpOnly") ||
		!strings.Contains(strings.ToLower(cookie), "samesite=lax") {
		t.Fatalf("client cookie %q, want bc_client HttpOnly SameSite=Lax", cookie)
	}
}

func TestSnapshotOfAnEmptyLogHasNoItems(t *testing.T) {
	e := newLiveEnv(t, "open", nil)
	a := e.get(t, e.livePath(""), "").expect(t, http.StatusOK)
	if l, ok := a.body["items"].([]any); !ok || len(l) != 0 || a.num("head") != 0 {
		t.Fatalf("empty snapshot %s, want items [] and head 0", a.raw)
	}
}

func TestLongPollAnswersAtOnceWithEntriesAfterSince(t *testing.T) {
	e := newLiveEnv(t, "open", nil)
	e.appendItems(t, 3)
	a := e.get(t, e.livePath("?since=1&limit=1"), "").expect(t, http.StatusOK)
	if got := seqsOf(a.list("entries")); !equalSeqs(got, []int64{2}) || a.num("next") != 2 || a.body["more"] != true {
		t.Fatalf("page %s, want entry 2, next 2, more", a.raw)
	}
	entry := a.list("entries")[0].(map[string]any)
	if entry["op"] != "add" || entry["item"].(map[string]any)["seq"].(float64) != 2 {
		t.Fatalf("entry %v is not an add of item 2", entry)
	}
	a = e.get(t, e.livePath("?since=2&epoch="+a.body["epoch"].(string)), "").expect(t, http.StatusOK)
	if got := seqsOf(a.list("entries")); !equalSeqs(got, []int64{3}) || a.num("next") != 3 || a.body["more"] != false {
		t.Fatalf("page %s, want entry 3, next 3, no more", a.raw)
	}
}

func TestLiveAnswersAtTheWaitDeadlineWithNoEntries(t *testing.T) {
	e := newLiveEnv(t, "open", nil)
	head := e.appendItems(t, 2)
	a := e.get(t, e.livePath("?since=2&wait=1"), "").expect(t, http.StatusOK)
	if l, ok := a.body["entries"].([]any); !ok || len(l) != 0 || a.num("next") != head {
		t.Fatalf("deadline answer %s, want entries [] and next %d", a.raw, head)
	}
}

func TestLongPollWakesWhenAnEntryArrives(t *testing.T) {
	e := newLiveEnv(t, "open", nil)
	e.appendItems(t, 1)
	got := make(chan answer, 1)
	go func() { got <- e.get(t, e.livePath("?since=1&wait=20"), "") }()
	time.Sleep(300 * time.Millisecond)
	e.appendItems(t, 1)
	select {
	case a := <-got:
		a.expect(t, http.StatusOK)
		if s := seqsOf(a.list("entries")); !equalSeqs(s, []int64{2}) || a.num("next") != 2 {
			t.Fatalf("woken poll answered %s, want entry 2", a.raw)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the waiting poll did not answer the new entry")
	}
}

func TestLongPollKeepsHeldItemsOutOfPublicPages(t *testing.T) {
	e := newLiveEnv(t, "open", nil)
	e.appendItems(t, 1)
	if _, err := e.log.AppendItem(context.Background(), e.ev.ID, NewPostItem("room:h", "Bo", "held", true, time.Now())); err != nil {
		t.Fatal(err)
	}
	e.appendItems(t, 1)
	a := e.get(t, e.livePath("?since=0"), "").expect(t, http.StatusOK)
	if got := seqsOf(a.list("entries")); !equalSeqs(got, []int64{1, 3}) || a.num("next") != 3 {
		t.Fatalf("page %s, want entries [1 3] and next 3", a.raw)
	}
}

func TestLongPollWithAWrongEpochOrASinceBeyondTheHeadResets(t *testing.T) {
	e := newLiveEnv(t, "open", nil)
	e.appendItems(t, 2)
	for _, q := range []string{"?since=1&epoch=0123456789abcdef&wait=0", "?since=99&wait=0"} {
		a := e.get(t, e.livePath(q), "").expect(t, http.StatusOK)
		if a.body["reset"] != true || !equalSeqs(seqsOf(a.list("items")), []int64{1, 2}) || a.num("head") != 2 || a.num("next") != 2 {
			t.Fatalf("%s answered %s, want a reset with the snapshot", q, a.raw)
		}
	}
}

func TestLiveRefusesMalformedQueriesWith400(t *testing.T) {
	e := newLiveEnv(t, "open", nil)
	for _, q := range []string{"since=abc", "limit=0", "wait=99", "since=-1", "limit=501", "wait=1.5", "since=1&since=2", "epoch=%3Cx%3E"} {
		a := e.get(t, e.livePath("?"+q), "").expect(t, http.StatusBadRequest)
		param := strings.SplitN(q, "=", 2)[0]
		if !strings.Contains(a.body["error"].(string), param) {
			t.Errorf("%s: error %q does not name %s", q, a.body["error"], param)
		}
	}
}

func TestUnknownEventIs404(t *testing.T) {
	e := newLiveEnv(t, "open", nil)
	for _, p := range []string{"/api/events/no-such-event/live", "/api/events/No_Such/live?since=1", "/api/events/nope/stream"} {
		e.get(t, p, "").expect(t, http.StatusNotFound)
	}
	e.call(t, http.MethodPost, "/api/events/nope/posts", "", "application/json", `{"name":"a","text":"b"}`).expect(t, http.StatusNotFound)
}

func TestHistoryRequestsAreRateLimitedPerClientButHeadPollsAreNot(t *testing.T) {
	e := newLiveEnv(t, "open", func(d *HandlerDeps) { d.HistoryRate = RateLimit{Count: 2, Period: time.Minute} })
	e.appendItems(t, 2)
	alice, bob := NewClientID(), NewClientID()
	e.get(t, e.livePath(""), alice).expect(t, http.StatusOK)
	e.get(t, e.livePath(""), alice).expect(t, http.StatusOK)
	for range 5 { // at the head, from memory: never limited
		e.get(t, e.livePath("?since=2&wait=0"), alice).expect(t, http.StatusOK)
	}
	a := e.get(t, e.livePath(""), alice).expect(t, http.StatusTooManyRequests)
	if ra := a.header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("429 without a Retry-After: %q", ra)
	}
	e.get(t, e.livePath(""), bob).expect(t, http.StatusOK)
}

func TestAddressCeilingHoldsAcrossCookies(t *testing.T) {
	e := newLiveEnv(t, "open", func(d *HandlerDeps) {
		d.HistoryRate = RateLimit{Count: 2, Period: time.Minute}
		d.IPCeiling = 2 // four history requests per address
	})
	for range 4 {
		e.get(t, e.livePath(""), NewClientID()).expect(t, http.StatusOK)
	}
	e.get(t, e.livePath(""), NewClientID()).expect(t, http.StatusTooManyRequests)
}

func TestWaitingPollsAreBoundedPerClient(t *testing.T) {
	e := newLiveEnv(t, "open", func(d *HandlerDeps) { d.MaxWaitsPerClient = 1 })
	e.appendItems(t, 1)
	e.get(t, e.livePath("?since=1&wait=0"), "").expect(t, http.StatusOK) // load the hub's window
	client := NewClientID()
	first := make(chan answer, 1)
	go func() { first <- e.get(t, e.livePath("?since=1&wait=3"), client) }()
	deadline := time.Now().Add(5 * time.Second)
	for e.handler.waits.count(client) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	a := e.get(t, e.livePath("?since=1&wait=3"), client).expect(t, http.StatusTooManyRequests)
	if a.header.Get("Retry-After") == "" {
		t.Fatal("429 without a Retry-After")
	}
	e.get(t, e.livePath("?since=1&wait=0"), client).expect(t, http.StatusOK) // no wait, no slot
	(<-first).expect(t, http.StatusOK)
}

func TestWaitingPollsCanBeBoundedPerAddress(t *testing.T) {
	e := newLiveEnv(t, "open", func(d *HandlerDeps) { d.MaxWaitsPerAddress = 1 })
	e.appendItems(t, 1)
	e.get(t, e.livePath("?since=1&wait=0"), "").expect(t, http.StatusOK)
	first := make(chan answer, 1)
	go func() { first <- e.get(t, e.livePath("?since=1&wait=3"), NewClientID()) }()
	deadline := time.Now().Add(5 * time.Second)
	for e.handler.ipWaits.keys() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	e.get(t, e.livePath("?since=1&wait=3"), NewClientID()).expect(t, http.StatusTooManyRequests)
	(<-first).expect(t, http.StatusOK)
	if n, m := e.handler.waits.keys(), e.handler.ipWaits.keys(); n != 0 || m != 0 {
		t.Fatalf("slots leak: %d clients and %d addresses still hold some", n, m)
	}
}

func TestTheAddressCeilingIsOnByDefault(t *testing.T) {
	h := NewHandler(HandlerDeps{})
	if h.deps.MaxWaitsPerAddress != DefaultMaxWaitsPerAddress || DefaultMaxWaitsPerAddress < 1000 {
		t.Fatalf("default per-address ceiling %d; want %d, generous for a venue behind one NAT",
			h.deps.MaxWaitsPerAddress, DefaultMaxWaitsPerAddress)
	}
}

// Behind a trusted proxy the ceiling counts the client's address as
// clientip resolves it: forged entries on the left of X-Forwarded-For
// neither escape it nor use up someone else's, on the fast path as on
// fiber's.
func TestTheAddressCeilingCountsTheResolvedAddressOnEveryPath(t *testing.T) {
	proxy, err := clientip.New([]string{"0.0.0.0/32"}) // app.Test's peer is the proxy
	if err != nil {
		t.Fatal(err)
	}
	e := newLiveEnv(t, "open", func(d *HandlerDeps) { d.MaxWaitsPerAddress = 2; d.ClientAddr = proxy.String })
	e.appendItems(t, 1)
	e.get(t, e.livePath("?since=1&wait=0"), "").expect(t, http.StatusOK) // caches the event: the fast path takes the rest
	park := func(xff string) chan answer {
		ch := make(chan answer, 1)
		go func() {
			ch <- e.call(t, http.MethodGet, e.livePath("?since=1&wait=3"), NewClientID(), "", "", "X-Forwarded-For", xff)
		}()
		return ch
	}
	waitFor := func(ip string, n int) {
		deadline := time.Now().Add(5 * time.Second)
		for e.handler.ipWaits.count(ip) < n && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if got := e.handler.ipWaits.count(ip); got != n {
			t.Fatalf("%s holds %d slots; want %d", ip, got, n)
		}
	}
	first, second := park("6.6.6.6, 198.51.100.1"), park("7.7.7.7, 198.51.100.1")
	waitFor("198.51.100.1", 2)
	a := e.call(t, http.MethodGet, e.livePath("?since=1&wait=3"), NewClientID(), "", "", "X-Forwarded-For", "8.8.8.8, 198.51.100.1")
	a.expect(t, http.StatusTooManyRequests)
	if !strings.Contains(a.raw, "from this address") {
		t.Fatalf("429 does not say why: %s", a.raw)
	}
	other := park("198.51.100.1, 198.51.100.2") // another client; the forged left part is not its address
	waitFor("198.51.100.2", 1)
	for _, ch := range []chan answer{first, second, other} {
		(<-ch).expect(t, http.StatusOK)
	}
	if n, m := e.handler.waits.keys(), e.handler.ipWaits.keys(); n != 0 || m != 0 {
		t.Fatalf("slots leak: %d clients and %d addresses still hold some", n, m)
	}
}

func TestDrainAnswersWaitersThen503(t *testing.T) {
	e := newLiveEnv(t, "open", nil)
	e.appendItems(t, 1)
	e.get(t, e.livePath("?since=1&wait=0"), "").expect(t, http.StatusOK)
	waiting := make(chan answer, 1)
	go func() { waiting <- e.get(t, e.livePath("?since=1&wait=50"), "") }()
	time.Sleep(300 * time.Millisecond)
	e.handler.Drain()
	select {
	case a := <-waiting:
		if a.status != http.StatusOK && a.status != http.StatusServiceUnavailable {
			t.Fatalf("drained waiter answered %d %s", a.status, a.raw)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Drain did not release the waiting poll")
	}
	e.get(t, e.livePath("?since=1"), "").expect(t, http.StatusServiceUnavailable)
	e.get(t, e.livePath(""), "").expect(t, http.StatusServiceUnavailable)
	e.get(t, "/api/events/"+e.ev.Slug+"/stream", "").expect(t, http.StatusServiceUnavailable)
}

func TestAFreshNodeDoesNotLimitPollsAtTheHead(t *testing.T) {
	limited := func(d *HandlerDeps) { d.HistoryRate = RateLimit{Count: 1, Period: time.Minute} }
	e := newLiveEnv(t, "open", limited)
	head := e.appendItems(t, 3)
	client := NewClientID()
	// The client spends its history allowance on another node...
	other, _, _ := e.newNode(t, limited)
	callApp(t, other, http.MethodGet, e.livePath(""), client, "", "").expect(t, http.StatusOK)
	callApp(t, other, http.MethodGet, e.livePath(""), client, "", "").expect(t, http.StatusTooManyRequests)
	// ...then polls at the head on this node, which has not loaded the event yet: still cheap.
	a := e.get(t, e.livePath("?since="+strconv.FormatInt(head, 10)+"&wait=0"), client).expect(t, http.StatusOK)
	if a.num("next") != head {
		t.Fatalf("answer %s", a.raw)
	}
}
