package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/rueidis"
)

// RedisStorage is a fiber.Storage over rueidis, every key under one prefix.
// Fiber's session middleware keeps its sessions in it, so they hold across
// web nodes and survive restarts.
type RedisStorage struct {
	client rueidis.Client
	prefix string
}

// NewRedisStorage returns a storage whose keys all start with prefix.
func NewRedisStorage(client rueidis.Client, prefix string) *RedisStorage {
	return &RedisStorage{client: client, prefix: prefix}
}

func (s *RedisStorage) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 5*time.Second)
}

// Get returns the value of key, or nil when there is none.
func (s *RedisStorage) Get(key string) ([]byte, error) {
	if key == "" {
		return nil, nil
	}
	ctx, cancel := s.ctx()
	defer cancel()
	b, err := s.client.Do(ctx, s.client.B().Get().Key(s.prefix+key).Build()).AsBytes()
	if rueidis.IsRedisNil(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("auth: storage get: %w", err)
	}
	return b, nil
}

// Set stores val under key; exp 0 means no expiry.
func (s *RedisStorage) Set(key string, val []byte, exp time.Duration) error {
	if key == "" || len(val) == 0 {
		return nil
	}
	ctx, cancel := s.ctx()
	defer cancel()
	var cmd rueidis.Completed
	if exp > 0 {
		cmd = s.client.B().Set().Key(s.prefix + key).Value(rueidis.BinaryString(val)).Px(exp).Build()
	} else {
		cmd = s.client.B().Set().Key(s.prefix + key).Value(rueidis.BinaryString(val)).Build()
	}
	if err := s.client.Do(ctx, cmd).Error(); err != nil {
		return fmt.Errorf("auth: storage set: %w", err)
	}
	return nil
}

// Delete removes key.
func (s *RedisStorage) Delete(key string) error {
	if key == "" {
		return nil
	}
	ctx, cancel := s.ctx()
	defer cancel()
	if err := s.client.Do(ctx, s.client.B().Del().Key(s.prefix+key).Build()).Error(); err != nil {
		return fmt.Errorf("auth: storage delete: %w", err)
	}
	return nil
}

// Reset deletes every key under the prefix (on every node of a cluster).
func (s *RedisStorage) Reset() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, node := range s.client.Nodes() {
		var cursor uint64
		for {
			res, err := node.Do(ctx, node.B().Scan().Cursor(cursor).Match(s.prefix+"*").Count(500).Build()).AsScanEntry()
			if err != nil {
				return fmt.Errorf("auth: storage reset: %w", err)
			}
			for _, k := range res.Elements {
				if err := s.client.Do(ctx, s.client.B().Del().Key(k).Build()).Error(); err != nil {
					return fmt.Errorf("auth: storage reset: %w", err)
				}
			}
			if res.Cursor == 0 {
				break
			}
			cursor = res.Cursor
		}
	}
	return nil
}

// Close does nothing: the client belongs to the caller.
func (s *RedisStorage) Close() error { return nil }
