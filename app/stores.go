package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"time"

	"github.com/backchannel/backchannel/internal/rawtcp"
	"github.com/hibiken/asynq"
	"github.com/redis/rueidis"
)

// NewRedis connects a rueidis client to the configured Redis (or Redis Cluster).
func NewRedis(cfg *Config) (rueidis.Client, error) {
	tc, err := RedisTLSConfig(cfg)
	if err != nil {
		return nil, err
	}
	opt := rueidis.ClientOption{
		InitAddress:  cfg.RedisAddrs,
		Username:     cfg.RedisUsername,
		Password:     cfg.RedisPassword,
		TLSConfig:    tc,
		DisableCache: true,
	}
	if len(cfg.RedisAddrs) == 1 {
		opt.SelectDB = cfg.RedisDB
	}
	if tc == nil {
		opt.DialCtxFn = dialRawRedis
	}
	c, err := rueidis.NewClient(opt)
	if err != nil {
		return nil, fmt.Errorf("app: connect to Redis %v: %w", cfg.RedisAddrs, err)
	}
	return c, nil
}

// dialRawRedis dials a plain-TCP Redis connection whose reads and writes
// are raw system calls (internal/rawtcp: they keep the runtime's monitor
// thread asleep between posts).
func dialRawRedis(ctx context.Context, dst string, d *net.Dialer, _ *tls.Config) (net.Conn, error) {
	c, err := d.DialContext(ctx, "tcp", dst)
	if err != nil {
		return nil, err
	}
	return rawtcp.Wrap(c), nil
}

// RedisTLSConfig is the TLS of every Redis connection for a rediss://
// REDIS_URL (nil for redis://): TLS 1.2 or later, the server's certificate
// verified against the system's roots, or REDIS_CA_FILE's when set, and its
// name against the host of the URL.
func RedisTLSConfig(cfg *Config) (*tls.Config, error) {
	if !cfg.RedisTLS {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(cfg.RedisAddrs) == 1 {
		if host, _, err := net.SplitHostPort(cfg.RedisAddrs[0]); err == nil {
			tc.ServerName = host
		}
	}
	if cfg.RedisCAFile != "" {
		pem, err := readCAFile(cfg.RedisCAFile)
		if err != nil {
			return nil, &ConfigError{"REDIS_CA_FILE", err.Error()}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &ConfigError{"REDIS_CA_FILE", "holds no PEM certificate"}
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

// AsynqRedis returns asynq's connection options for the same Redis, over
// TLS when REDIS_URL is rediss://. A TLS setting that cannot be built was
// refused by NewRedis already, which every role calls first.
func AsynqRedis(cfg *Config) asynq.RedisConnOpt {
	tc, _ := RedisTLSConfig(cfg)
	if len(cfg.RedisAddrs) > 1 {
		return asynq.RedisClusterClientOpt{Addrs: cfg.RedisAddrs, Username: cfg.RedisUsername, Password: cfg.RedisPassword, TLSConfig: tc}
	}
	return asynq.RedisClientOpt{Addr: cfg.RedisAddrs[0], Username: cfg.RedisUsername, Password: cfg.RedisPassword, DB: cfg.RedisDB, TLSConfig: tc}
}

// PingRedis checks that Redis answers within the context's deadline.
func PingRedis(ctx context.Context, c rueidis.Client) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := c.Do(ctx, c.B().Ping().Build()).Error(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}
