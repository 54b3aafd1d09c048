package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backchannel/backchannel/admin/dashboard"
	"github.com/backchannel/backchannel/internal/heartbeat"
	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/models"
)

func TestDashboardShowsProcessesSourcesQueuesAndCharts(t *testing.T) {
	var reconnected int64
	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: testenv.RedisAddrs()[0], DB: testenv.RedisDB})
	t.Cleanup(func() { insp.Close() })
	e := newEnv(t, func(d *Deps) {
		d.Inspector = insp
		d.SourceStates = func(ctx context.Context, ids []int64) (map[int64]dashboard.SourceState, error) {
			out := map[int64]dashboard.SourceState{}
			for _, id := range ids {
				out[id] = dashboard.SourceState{State: "running", Worker: "worker-1"}
			}
			return out, nil
		}
		d.ReconnectSource = func(ctx context.Context, id int64) error { reconnected = id; return nil }
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	heartbeat.Start(ctx, e.rdb.Client, e.rdb.Namespace, "worker", heartbeat.WithInterval(20*time.Millisecond))
	src := models.Source{EventID: e.evA.ID, Kind: "feed", Key: "feed:https://example.org/a.atom", Config: json.RawMessage(`{}`), Enabled: true}
	e.db.Create(&src)
	e.item(e.evA, "1", "ana", "one", models.ReviewApproved)
	e.item(e.evA, "2", "bob", "two", models.ReviewApproved)
	c := e.client()
	c.login(e.super.Email)
	var body string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var resp *http.Response
		resp, body = c.get("/admin/dashboard")
		if resp.StatusCode != 200 {
			t.Fatalf("dashboard: %d", resp.StatusCode)
		}
		if strings.Contains(body, "<td>worker</td>") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{"<td>worker</td>", "feed:https://example.org/a.atom", "running", "worker-1",
		"Stop", "Reconnect", "<svg", e.evA.Slug + ": 2 items", "Redis uses", "policy noeviction.",
		"<td>" + e.evA.Slug + "</td><td>2</td><td>2</td>"} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	resp, _ := c.post("/admin/dashboard/sources/"+id(src.ID)+"/stop", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("stop: %d", resp.StatusCode)
	}
	var s models.Source
	e.db.Take(&s, src.ID)
	if s.Enabled {
		t.Fatal("stop did not disable the source")
	}
	if e.auditCount("disable", "source", id(src.ID)) != 1 {
		t.Fatal("stop not audited")
	}
	c.post("/admin/dashboard/sources/"+id(src.ID)+"/reconnect", nil)
	if reconnected != src.ID {
		t.Fatal("reconnect did not reach the runner")
	}
}
