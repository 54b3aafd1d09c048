package app

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/rueidis"
	"gorm.io/gorm"

	"github.com/backchannel/backchannel/internal/clientip"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// Version is the build's version, set with -ldflags "-X .../app.Version=...".
var Version = "dev"

// App holds what every role shares: configuration, stores and metrics. It is
// built once at start-up and passed down; nothing else keeps global state.
type App struct {
	Config *Config
	Logger *slog.Logger
	DB     *gorm.DB
	// Store runs every query of the app's own handlers and of the packages
	// it wires (package store).
	Store   *store.Store
	Redis   rueidis.Client
	Metrics *prometheus.Registry
	// Namespace prefixes every Redis key the app writes: "" in production,
	// unique per test so tests share one Redis without colliding.
	Namespace string
	// Now is the clock; tests may replace it.
	Now func() time.Time
	// ClientIP decides a request's client address behind TRUSTED_PROXIES:
	// fiber's c.IP() and the live path's admission both use it.
	ClientIP *clientip.Resolver

	httpDuration *prometheus.HistogramVec
}

// Open connects to Postgres and Redis and builds the App.
func Open(ctx context.Context, cfg *Config, logger *slog.Logger) (*App, error) {
	db, err := models.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	rdb, err := NewRedis(cfg)
	if err != nil {
		if s, e := db.DB(); e == nil {
			_ = s.Close()
		}
		return nil, err
	}
	return New(cfg, logger, db, rdb, cfg.RedisPrefix), nil
}

// New builds an App over already opened stores (tests use it with their own
// databases and Redis namespace).
func New(cfg *Config, logger *slog.Logger, db *gorm.DB, rdb rueidis.Client, namespace string) *App {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	hist := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "backchannel_http_request_duration_seconds",
		Help:    "Time to answer HTTP requests, by route and status (long polls include their wait).",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5, 30, 60},
	}, []string{"method", "route", "status"})
	reg.MustRegister(hist)
	ips, err := clientip.New(cfg.TrustedProxies)
	if err != nil { // LoadConfig checked the list already
		logger.Error("app: trusted proxies", "err", err)
	}
	return &App{Config: cfg, Logger: logger, DB: db, Store: store.New(db), Redis: rdb, Metrics: reg, Namespace: namespace,
		Now: time.Now, ClientIP: ips, httpDuration: hist}
}

// Close releases the stores.
func (a *App) Close() {
	a.Redis.Close()
	if s, err := a.DB.DB(); err == nil {
		if err := s.Close(); err != nil {
			a.Logger.Warn("close database", "err", err)
		}
	}
}

// SQL returns the database/sql handle under GORM.
func (a *App) SQL() (*sql.DB, error) {
	s, err := a.DB.DB()
	if err != nil {
		return nil, fmt.Errorf("app: database handle: %w", err)
	}
	return s, nil
}
