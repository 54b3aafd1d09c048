package testenv

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/migrations"
	"github.com/backchannel/backchannel/models"
)

// PostgresServer is a PostgreSQL cluster of the test's own, for tests that
// stop and restart Postgres (the shared server on 127.0.0.1:55432 serves
// other tests and must never be stopped). It lives in a temporary folder on
// a free loopback port, with fsync off; when the tests run as root its
// binaries run as the postgres user (initdb and postgres refuse root), as
// scripts/services.sh does. A cold start takes about a second.
type PostgresServer struct {
	Port int
	// Dir holds the cluster (data/) and its log; removed at the end.
	Dir string
	// AdminURL connects to its "postgres" database as its superuser.
	AdminURL string
	bin      string
	asUser   bool // run the binaries as the postgres user
}

// StartPostgres initialises and starts a private cluster; it is stopped and
// removed when the test ends.
func StartPostgres(t testing.TB) *PostgresServer {
	t.Helper()
	bin, err := postgresBin()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	dir, err := os.MkdirTemp("", "bc-pg-")
	if err != nil {
		t.Fatal(err)
	}
	s := &PostgresServer{Port: freePort(t), Dir: dir, bin: bin, asUser: os.Geteuid() == 0}
	t.Cleanup(func() {
		s.stop("immediate")
		_ = os.RemoveAll(dir)
	})
	data := s.data()
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if s.asUser {
		// Every parent must be open to the postgres user; MkdirTemp made ours 0700.
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("testenv: running as root needs the postgres user (install the postgresql package): %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(data, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := s.run("initdb", "-D", data, "-U", "backchannel", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("testenv: initdb: %v\n%s", err, out)
	}
	s.AdminURL = fmt.Sprintf("postgres://backchannel@127.0.0.1:%d/postgres?sslmode=disable", s.Port)
	s.Start(t)
	return s
}

func (s *PostgresServer) data() string { return filepath.Join(s.Dir, "data") }

// Start starts the cluster and waits until it accepts connections.
func (s *PostgresServer) Start(t testing.TB) {
	t.Helper()
	opts := fmt.Sprintf("-h 127.0.0.1 -p %d -c unix_socket_directories=%s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100",
		s.Port, s.data())
	if out, err := s.run("pg_ctl", "-D", s.data(), "-l", filepath.Join(s.data(), "server.log"), "-w", "-s", "-o", opts, "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.data(), "server.log"))
		t.Fatalf("testenv: pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if s.run("pg_isready", "-h", "127.0.0.1", "-p", strconv.Itoa(s.Port), "-q").Run() == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("testenv: private Postgres on port %d did not become ready", s.Port)
}

// Stop shuts the cluster down at once (pg_ctl -m fast: open connections
// are cut, new ones refused) and waits until it has stopped.
func (s *PostgresServer) Stop(t testing.TB) {
	t.Helper()
	if err := s.stop("fast"); err != nil {
		t.Fatalf("testenv: stop private Postgres: %v", err)
	}
}

func (s *PostgresServer) stop(mode string) error {
	if _, err := os.Stat(filepath.Join(s.data(), "postmaster.pid")); err != nil {
		return nil // not running
	}
	if out, err := s.run("pg_ctl", "-D", s.data(), "-m", mode, "-w", "-s", "stop").CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

// NewDatabase creates and migrates a database on the private cluster.
func (s *PostgresServer) NewDatabase(t testing.TB) *Database {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := models.Open(ctx, s.AdminURL)
	if err != nil {
		t.Fatalf("testenv: private Postgres: %v", err)
	}
	defer func() {
		if d, err := admin.DB(); err == nil {
			_ = d.Close()
		}
	}()
	name := Unique("bctest_")
	if err := admin.Exec("CREATE DATABASE " + name).Error; err != nil {
		t.Fatalf("testenv: create database: %v", err)
	}
	u, _ := url.Parse(s.AdminURL)
	u.Path = "/" + name
	db, err := models.Open(ctx, u.String())
	if err != nil {
		t.Fatalf("testenv: open %s: %v", name, err)
	}
	sqlDB, _ := db.DB()
	if _, err := migrations.Up(ctx, sqlDB); err != nil {
		t.Fatalf("testenv: migrate %s: %v", name, err)
	}
	t.Cleanup(func() { _ = sqlDB.Close() })
	return &Database{DB: db, URL: u.String(), Name: name}
}

// run prepares one of the cluster's binaries, as the postgres user when root.
func (s *PostgresServer) run(name string, args ...string) *exec.Cmd {
	path := filepath.Join(s.bin, name)
	if s.asUser {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

// postgresBin finds PostgreSQL's binaries the way scripts/services.sh does.
func postgresBin() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		d := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) < versionOf(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("PostgreSQL's initdb not found (install PostgreSQL ≥ 14)")
}

func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// freePort returns a loopback port nobody listens on right now.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
