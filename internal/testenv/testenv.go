// Package testenv gives tests real, isolated stores: a freshly migrated
// Postgres database per call and a Redis client with a unique key namespace.
// The servers are the ones `go tool task test` starts (scripts/services.sh);
// nothing here mocks a store, and tests fail (not skip) when they are missing.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"gorm.io/gorm"

	"github.com/backchannel/backchannel/migrations"
	"github.com/backchannel/backchannel/models"
)

// AdminDatabaseURL is the server tests create their databases on.
func AdminDatabaseURL() string {
	if v := os.Getenv("BC_TEST_DATABASE_URL"); v != "" {
		return v
	}
	return "postgres://backchannel:backchannel@127.0.0.1:55432/postgres?sslmode=disable"
}

// RedisAddrs are the Redis addresses tests use (several means a cluster).
func RedisAddrs() []string {
	if v := os.Getenv("BC_TEST_REDIS_ADDRS"); v != "" {
		return strings.Split(v, ",")
	}
	return []string{"127.0.0.1:56379"}
}

// RedisDB is the logical database tests use on a single Redis (dev data lives in 0).
const RedisDB = 1

// Unique returns a short random name, safe in SQL identifiers and Redis keys.
func Unique(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Database is a migrated, empty database of the test's own.
type Database struct {
	DB  *gorm.DB
	URL string
	// Name is the database name on the test server.
	Name string
}

// NewDatabase creates and migrates a database that is dropped when the test ends.
func NewDatabase(t testing.TB) *Database {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := models.Open(ctx, AdminDatabaseURL())
	if err != nil {
		t.Fatalf("testenv: Postgres is not reachable (start it with `go tool task test` or scripts/services.sh up): %v", err)
	}
	name := Unique("bctest_")
	if err := admin.Exec("CREATE DATABASE " + name).Error; err != nil {
		t.Fatalf("testenv: create database: %v", err)
	}
	u, _ := url.Parse(AdminDatabaseURL())
	u.Path = "/" + name
	db, err := models.Open(ctx, u.String())
	if err != nil {
		t.Fatalf("testenv: open %s: %v", name, err)
	}
	sqlDB, _ := db.DB()
	if _, err := migrations.Up(ctx, sqlDB); err != nil {
		t.Fatalf("testenv: migrate %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = sqlDB.Close()
		_ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)").Error
		if s, err := admin.DB(); err == nil {
			_ = s.Close()
		}
	})
	return &Database{DB: db, URL: u.String(), Name: name}
}

// Redis is a client of the test Redis plus a namespace no other test uses.
type Redis struct {
	Client rueidis.Client
	// Namespace prefixes every key the test's code writes.
	Namespace string
	Addrs     []string
	DB        int
}

// NewRedis connects to the test Redis; keys under the namespace are deleted at the end.
func NewRedis(t testing.TB) *Redis {
	t.Helper()
	addrs := RedisAddrs()
	db := RedisDB
	if len(addrs) > 1 {
		db = 0
	}
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: addrs, SelectDB: db, DisableCache: true})
	if err != nil {
		t.Fatalf("testenv: Redis is not reachable at %v (start it with `go tool task test` or scripts/services.sh up): %v", addrs, err)
	}
	r := &Redis{Client: c, Namespace: Unique("t") + ":", Addrs: addrs, DB: db}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = r.deleteNamespace(ctx)
		c.Close()
	})
	return r
}

func (r *Redis) deleteNamespace(ctx context.Context) error {
	for _, node := range r.Client.Nodes() {
		var cursor uint64
		for {
			res, err := node.Do(ctx, node.B().Scan().Cursor(cursor).Match(r.Namespace+"*").Count(1000).Build()).AsScanEntry()
			if err != nil {
				return fmt.Errorf("scan: %w", err)
			}
			for _, k := range res.Elements {
				r.Client.Do(ctx, r.Client.B().Del().Key(k).Build())
			}
			if res.Cursor == 0 {
				break
			}
			cursor = res.Cursor
		}
	}
	return nil
}
