package sources

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"testing"
	"time"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/outbound"
	"github.com/backchannel/backchannel/realtime"
)

// harness is one event in a real Postgres and a real live log in Redis.
type harness struct {
	t       testing.TB
	db      *testenv.Database
	rd      *testenv.Redis
	log     *realtime.Log
	eventID int64
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	db := testenv.NewDatabase(t)
	rd := testenv.NewRedis(t)
	ev := models.Event{Slug: "gophercon", Title: "GopherCon", Timezone: "UTC",
		StartsAt: time.Now().Add(-time.Hour), EndsAt: time.Now().Add(time.Hour), Posting: "open", Moderation: "after"}
	if err := db.DB.Create(&ev).Error; err != nil {
		t.Fatalf("create event: %v", err)
	}
	return &harness{t: t, db: db, rd: rd, log: realtime.NewLog(rd.Client, rd.Namespace), eventID: ev.ID}
}

func (h *harness) addSource(kind, key string, cfg map[string]any) models.Source {
	h.t.Helper()
	raw, _ := json.Marshal(cfg)
	s := models.Source{EventID: h.eventID, Kind: kind, Key: key, Config: raw, Enabled: true}
	if err := h.db.DB.Create(&s).Error; err != nil {
		h.t.Fatalf("create source: %v", err)
	}
	return s
}

// fastOptions shrink every interval so tests run in seconds.
func (h *harness) fastOptions(holder string) ManagerOptions {
	return ManagerOptions{
		Namespace:         h.rd.Namespace,
		Holder:            holder,
		LeaseTTL:          time.Second,
		RenewEvery:        200 * time.Millisecond,
		AcquireEvery:      100 * time.Millisecond,
		ReloadEvery:       200 * time.Millisecond,
		CursorDelay:       200 * time.Millisecond,
		RulesEvery:        200 * time.Millisecond,
		StateEvery:        50 * time.Millisecond,
		Heartbeats:        Heartbeats{Mastodon: time.Second, X: time.Second, Bluesky: time.Second},
		Backoff:           Backoff{Network: 20 * time.Millisecond, HTTP: 50 * time.Millisecond, RateLimit: 100 * time.Millisecond, Max: time.Second, MaxRetryAfter: time.Second},
		MastodonPollEvery: 100 * time.Millisecond,
		ReplayEvery:       50 * time.Millisecond,
		Getenv:            func(string) string { return "test-token" },
		// The fakes listen on loopback, which only the allow list opens.
		HTTPClient: outbound.NewClient(outbound.Policy{AllowPrivate: []string{"127.0.0.1"}}),
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

// start runs a manager until the test ends or stop is called.
func (h *harness) start(m *Manager) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := m.Run(ctx); err != nil {
			h.t.Errorf("manager: %v", err)
		}
	}()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	h.t.Cleanup(stop)
	return stop
}

func (h *harness) entries() []live.Entry {
	h.t.Helper()
	es, err := h.log.Range(context.Background(), h.eventID, 0, 100000)
	if err != nil {
		h.t.Fatalf("range: %v", err)
	}
	return es
}

// waitFor polls the log until cond holds, failing the test after 20 s.
func (h *harness) waitFor(what string, cond func([]live.Entry) bool) []live.Entry {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		es := h.entries()
		if cond(es) {
			return es
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s; log has:\n%s", what, describe(es))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// eventStartUnix is the harness event's starts_at in unix seconds.
func (h *harness) eventStartUnix(t *testing.T) string {
	t.Helper()
	var ev models.Event
	if err := h.db.DB.Take(&ev, h.eventID).Error; err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(ev.StartsAt.Unix())
}

// firstSource is the id of the harness event's only source.
func (h *harness) firstSource(t *testing.T) int64 {
	t.Helper()
	var id int64
	if err := h.db.DB.Raw("SELECT min(id) FROM sources WHERE event_id = ?", h.eventID).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

func (h *harness) state(id int64) State {
	h.t.Helper()
	st, err := ReadStates(context.Background(), h.rd.Client, h.rd.Namespace, []int64{id})
	if err != nil {
		h.t.Fatal(err)
	}
	return st[id]
}

func (h *harness) waitState(what string, id int64, cond func(State) bool) State {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := h.state(id)
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for state %s: %+v", what, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// addedIDs lists the item IDs of add entries, in log order.
func addedIDs(es []live.Entry) []string {
	var ids []string
	for _, e := range es {
		if e.Op == live.OpAdd && e.Item != nil {
			ids = append(ids, e.Item.ID)
		}
	}
	return ids
}

func hasAll(ids ...string) func([]live.Entry) bool {
	return func(es []live.Entry) bool {
		got := map[string]bool{}
		for _, id := range addedIDs(es) {
			got[id] = true
		}
		for _, id := range ids {
			if !got[id] {
				return false
			}
		}
		return true
	}
}

// assertExactlyOnce fails unless the log adds exactly the given IDs, each once.
func assertExactlyOnce(t *testing.T, es []live.Entry, want ...string) {
	t.Helper()
	got := addedIDs(es)
	count := map[string]int{}
	for _, id := range got {
		count[id]++
	}
	for _, id := range want {
		if count[id] != 1 {
			t.Errorf("item %s appears %d times, want exactly once", id, count[id])
		}
		delete(count, id)
	}
	for id, n := range count {
		t.Errorf("unexpected item %s (%d times)", id, n)
	}
}

func seqOfItem(es []live.Entry, id string) int64 {
	for _, e := range es {
		if e.Op == live.OpAdd && e.Item != nil && e.Item.ID == id {
			return e.Seq
		}
	}
	return 0
}

func describe(es []live.Entry) string {
	var lines []string
	for _, e := range es {
		id := ""
		if e.Item != nil {
			id = e.Item.ID
		}
		b, _ := json.Marshal(map[string]any{"seq": e.Seq, "op": e.Op, "id": id, "target": e.Target})
		lines = append(lines, string(b))
	}
	sort.Strings(lines)
	out := ""
	for _, l := range lines {
		out += l + "\n"
	}
	return out
}
