package realtime

import (
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"
)

// ownRedis is a redis-server of the test's own, with AOF, that the test can kill.
type ownRedis struct {
	t    *testing.T
	port int
	dir  string
	cmd  *exec.Cmd
}

func startOwnRedis(t *testing.T) *ownRedis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server is not installed (scripts/services.sh up installs it): %v", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	r := &ownRedis{t: t, port: port, dir: t.TempDir()}
	r.start()
	t.Cleanup(r.kill)
	return r
}

func (r *ownRedis) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// start runs the server; appendfsync always, so a kill loses no acknowledged append.
func (r *ownRedis) start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--bind", "127.0.0.1", "--port", strconv.Itoa(r.port), "--dir", r.dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--maxmemory-policy", "noeviction")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	for range 200 {
		if c, err := net.DialTimeout("tcp", r.addr(), 50*time.Millisecond); err == nil {
			_ = c.Close()
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	r.t.Fatalf("redis-server on %s did not start", r.addr())
}

func (r *ownRedis) kill() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		r.cmd = nil
	}
}

func TestHubCatchesUpWithNoGapAfterRedisIsKilledAndRestarted(t *testing.T) {
	r := startOwnRedis(t)
	newClient := func() rueidis.Client {
		c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{r.addr()}, DisableCache: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		return c
	}
	writer := newClient()
	ctx := testCtx(t)
	l := NewLog(writer, "")
	var hubs []*Hub
	for range 2 {
		c := newClient()
		hubs = append(hubs, startHub(t, c, NewLog(c, ""), nil, HubOptions{Window: 1000}))
	}
	const total = 300
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := follow(ctx, 1, total, 1+i%4, func() *Hub { return hubs[i%2] }, nil); err != nil {
				errs <- fmt.Errorf("poller %d: %w", i, err)
			}
		}()
	}
	// Let the pollers load their windows before the first append.
	waitFor(t, func() bool { return hubs[0].InMemory(1, 0) && hubs[1].InMemory(1, 0) })
	appended := 0
	for i := range total {
		if i == total/3 {
			r.kill()
			time.Sleep(200 * time.Millisecond)
			r.start()
		}
		for attempt := 0; ; attempt++ {
			// A retried append whose first try did land is dropped as a duplicate.
			_, err := l.AppendItem(ctx, 1, testItem(fmt.Sprint(i)))
			if err == nil {
				appended++
				break
			}
			if attempt > 500 {
				t.Fatalf("append %d: %v", i, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if _, head, err := l.Head(ctx, 1); err != nil || head != total {
		t.Fatalf("head = %d, %v; want %d", head, err, total)
	}
}
