package testenv

import (
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// RedisServer is a redis-server of the test's own, for tests that stop and
// restart Redis. It keeps its AOF in a temporary folder.
type RedisServer struct {
	Addr string
	Port int
	Dir  string
	cmd  *exec.Cmd
}

// StartRedisServer starts redis-server (AOF on) on a free loopback port; it is
// stopped when the test ends.
func StartRedisServer(t testing.TB) *RedisServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	s := &RedisServer{Addr: fmt.Sprintf("127.0.0.1:%d", port), Port: port, Dir: t.TempDir()}
	s.Start(t)
	t.Cleanup(func() { s.Stop(t) })
	return s
}

// Start (re)starts the server on its port and waits until it answers.
func (s *RedisServer) Start(t testing.TB) {
	t.Helper()
	s.cmd = exec.Command("redis-server", "--bind", "127.0.0.1", "--port", strconv.Itoa(s.Port), "--dir", s.Dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--maxmemory-policy", "noeviction")
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("testenv: start redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", s.Addr, 100*time.Millisecond); err == nil {
			_ = c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("testenv: redis-server on %s did not start", s.Addr)
}

// Stop kills the server (like a crash: no shutdown save) and waits for it to exit.
func (s *RedisServer) Stop(t testing.TB) {
	t.Helper()
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}
