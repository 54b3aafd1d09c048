package testenv

import (
	"context"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/backchannel/backchannel/internal/pgcluster"
	"github.com/backchannel/backchannel/migrations"
	"github.com/backchannel/backchannel/models"
)

// PostgresServer is a PostgreSQL cluster of the test's own, for tests that
// stop and restart Postgres (the shared server on 127.0.0.1:55432 serves
// other tests and must never be stopped): a pgcluster.Cluster in a
// temporary folder, removed when the test ends.
type PostgresServer struct {
	*pgcluster.Cluster
}

// StartPostgres initialises and starts a private cluster; it is stopped and
// removed when the test ends.
func StartPostgres(t testing.TB) *PostgresServer {
	t.Helper()
	dir, err := os.MkdirTemp("", "bc-pg-")
	if err != nil {
		t.Fatal(err)
	}
	c, err := pgcluster.Init(dir)
	if err != nil {
		_ = os.RemoveAll(dir)
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() { _ = c.Remove() })
	s := &PostgresServer{c}
	s.Start(t)
	return s
}

// Start starts the cluster and waits until it accepts connections.
func (s *PostgresServer) Start(t testing.TB) {
	t.Helper()
	if err := s.Cluster.Start(); err != nil {
		t.Fatalf("testenv: %v", err)
	}
}

// Stop shuts the cluster down at once (pg_ctl -m fast: open connections
// are cut, new ones refused) and waits until it has stopped.
func (s *PostgresServer) Stop(t testing.TB) {
	t.Helper()
	if err := s.Cluster.Stop("fast"); err != nil {
		t.Fatalf("testenv: stop private Postgres: %v", err)
	}
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
