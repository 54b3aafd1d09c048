package heartbeat

import (
	"context"
	"testing"
	"time"

	"github.com/backchannel/backchannel/internal/testenv"
)

func TestHeartbeatsShowProcessesAndMarkSilentOnesStale(t *testing.T) {
	rdb := testenv.NewRedis(t)
	ctx, cancel := context.WithCancel(context.Background())
	Start(ctx, rdb.Client, rdb.Namespace, "web", WithInterval(20*time.Millisecond), WithVersion("v1.2.3"),
		WithClients(func() int64 { return 7 }))
	var ps []Process
	deadline := time.Now().Add(10 * time.Second)
	for len(ps) == 0 && time.Now().Before(deadline) {
		var err error
		if ps, err = Read(context.Background(), rdb.Client, rdb.Namespace, time.Now()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(ps) != 1 {
		t.Fatalf("%d processes; want 1", len(ps))
	}
	p := ps[0]
	if p.Role != "web" || p.Version != "v1.2.3" || p.Clients != 7 || p.Goroutines <= 0 || p.SysBytes <= 0 || p.RSSBytes <= 0 || p.Stale {
		t.Fatalf("process: %+v", p)
	}
	later, _ := Read(context.Background(), rdb.Client, rdb.Namespace, p.Heartbeat.Add(Stale+time.Second))
	if len(later) != 1 || !later[0].Stale {
		t.Fatalf("%s after its last beat: %+v; want stale", Stale+time.Second, later)
	}
	cancel()
	for time.Now().Before(deadline) {
		ps, _ = Read(context.Background(), rdb.Client, rdb.Namespace, time.Now())
		if len(ps) == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(ps) != 0 {
		t.Fatal("a stopped process keeps its heartbeat")
	}
}

func TestAProcessSilentForTenMinutesIsForgotten(t *testing.T) {
	rdb := testenv.NewRedis(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	Start(ctx, rdb.Client, rdb.Namespace, "worker", WithInterval(time.Hour))
	var ps []Process
	for deadline := time.Now().Add(10 * time.Second); len(ps) == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		ps, _ = Read(context.Background(), rdb.Client, rdb.Namespace, time.Now())
	}
	if len(ps) != 1 {
		t.Fatalf("%d processes; want 1", len(ps))
	}
	gone, err := Read(context.Background(), rdb.Client, rdb.Namespace, ps[0].Heartbeat.Add(Forget+time.Second))
	if err != nil || len(gone) != 0 {
		t.Fatalf("after %s of silence: %+v, %v; want none", Forget, gone, err)
	}
}
