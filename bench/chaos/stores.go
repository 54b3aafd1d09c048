package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// freePort asks the kernel for a spare loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// redisPing reports whether a Redis answers PING on addr.
func redisPing(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	buf := make([]byte, 16)
	n, _ := c.Read(buf)
	return n >= 5 && string(buf[:5]) == "+PONG"
}

// newRedis is this run's own redis-server: AOF on, fsync every second, no
// eviction, data under dir, on a spare port. The same proc restarts it on
// the same port with the same AOF.
func newRedis(dir, logDir string) (*proc, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, "", fmt.Errorf("redis-server not found (scripts/services.sh up installs it): %w", err)
	}
	p := newProc("redis", logDir, dir, os.Environ(), bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--dir", dir, "--appendonly", "yes", "--appendfsync", "everysec", "--maxmemory-policy", "noeviction",
		"--save", "", "--daemonize", "no")
	return p, fmt.Sprintf("127.0.0.1:%d", port), nil
}

// pgAdmin is a connection to the maintenance database of the local cluster.
type pgAdmin struct {
	base *url.URL // the cluster's URL, any database
	db   *sql.DB
}

func openPG(ctx context.Context, base string) (*pgAdmin, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("postgres url: %w", err)
	}
	m := *u
	m.Path = "/postgres"
	db, err := sql.Open("pgx", m.String())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(2)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres at %s: %w (run scripts/services.sh up)", u.Host, err)
	}
	return &pgAdmin{base: u, db: db}, nil
}

// createDB creates a fresh database and returns its URL.
func (p *pgAdmin) createDB(ctx context.Context, name string) (string, error) {
	if _, err := p.db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	u := *p.base
	u.Path = "/" + name
	return u.String(), nil
}

func (p *pgAdmin) dropDB(ctx context.Context, name string) error {
	_, err := p.db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	return err
}

// restartImmediate restarts the local cluster with pg_ctl restart -m
// immediate (a crash: no checkpoint), as the postgres user when we are root,
// detached from our process group so a Ctrl-C never reaches the server.
func (p *pgAdmin) restartImmediate(ctx context.Context, logFile string) error {
	var dataDir string
	if err := p.db.QueryRowContext(ctx, "SHOW data_directory").Scan(&dataDir); err != nil {
		return fmt.Errorf("postgres data directory: %w", err)
	}
	pgctl, err := pgCtl()
	if err != nil {
		return err
	}
	args := []string{pgctl, "-D", dataDir, "-l", filepath.Join(dataDir, "server.log"), "-m", "immediate", "-w", "-t", "60", "restart"}
	if os.Getuid() == 0 {
		args = append([]string{"runuser", "-u", "postgres", "--"}, args...)
	}
	f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(f, "\n===== chaos: %v at %s =====\n", args, time.Now().Format(time.RFC3339Nano))
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pg_ctl restart: %w (see %s)", err, logFile)
	}
	return nil
}

// pgCtl finds pg_ctl the way scripts/services.sh finds initdb.
func pgCtl() (string, error) {
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		p := filepath.Join(string(trimNL(out)), "pg_ctl")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	sort.Strings(dirs)
	if len(dirs) > 0 {
		return dirs[len(dirs)-1], nil
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("pg_ctl not found")
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// eventDB reads what the checker needs from the run's own database.
type eventDB struct{ db *sql.DB }

func openEventDB(dsn string) (*eventDB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(2)
	db.SetConnMaxLifetime(10 * time.Second)
	return &eventDB{db: db}, nil
}

func (e *eventDB) eventID(ctx context.Context, slug string) (int64, error) {
	var id int64
	err := e.db.QueryRowContext(ctx, "SELECT id FROM events WHERE slug = $1", slug).Scan(&id)
	return id, err
}

// strainerCursor is the strainer's (epoch, seq) for the event, zero before its first run.
func (e *eventDB) strainerCursor(ctx context.Context, event int64) (string, int64, error) {
	var epoch string
	var seq int64
	err := e.db.QueryRowContext(ctx, "SELECT epoch, seq FROM strainer_cursors WHERE event_id = $1", event).Scan(&epoch, &seq)
	if err == sql.ErrNoRows {
		return "", 0, nil
	}
	return epoch, seq, err
}

// itemCounts is the rows and distinct external ids of the event's items.
func (e *eventDB) itemCounts(ctx context.Context, event int64) (rows, distinct int, err error) {
	err = e.db.QueryRowContext(ctx, "SELECT count(*), count(DISTINCT external_id) FROM items WHERE event_id = $1", event).Scan(&rows, &distinct)
	return rows, distinct, err
}

// externalIDs lists the event's item IDs ("<source>:<external id>", as in the live log).
func (e *eventDB) externalIDs(ctx context.Context, event int64) ([]string, error) {
	rows, err := e.db.QueryContext(ctx, "SELECT source || ':' || external_id FROM items WHERE event_id = $1", event)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		ids = append(ids, s)
	}
	return ids, rows.Err()
}
