package app

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/rueidis"
)

// NewRedis connects a rueidis client to the configured Redis (or Redis Cluster).
func NewRedis(cfg *Config) (rueidis.Client, error) {
	opt := rueidis.ClientOption{
		InitAddress:  cfg.RedisAddrs,
		Password:     cfg.RedisPassword,
		DisableCache: true,
	}
	if len(cfg.RedisAddrs) == 1 {
		opt.SelectDB = cfg.RedisDB
	}
	c, err := rueidis.NewClient(opt)
	if err != nil {
		return nil, fmt.Errorf("app: connect to Redis %v: %w", cfg.RedisAddrs, err)
	}
	return c, nil
}

// AsynqRedis returns asynq's connection options for the same Redis.
func AsynqRedis(cfg *Config) asynq.RedisConnOpt {
	if len(cfg.RedisAddrs) > 1 {
		return asynq.RedisClusterClientOpt{Addrs: cfg.RedisAddrs, Password: cfg.RedisPassword}
	}
	return asynq.RedisClientOpt{Addr: cfg.RedisAddrs[0], Password: cfg.RedisPassword, DB: cfg.RedisDB}
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
