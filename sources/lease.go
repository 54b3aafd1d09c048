package sources

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/rueidis"
)

// A lease is a Redis key holding its holder's token with a TTL: taken with
// SET NX PX, extended and released only by the holder (compare-and-*
// scripts), so a worker that dies (kill -9) loses it when the TTL runs out
// and another worker takes the source over.
var (
	extendScript = rueidis.NewLuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`)
	releaseScript = rueidis.NewLuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`)
)

func acquireLease(ctx context.Context, c rueidis.Client, key, token string, ttl time.Duration) (bool, error) {
	err := c.Do(ctx, c.B().Set().Key(key).Value(token).Nx().PxMilliseconds(ttl.Milliseconds()).Build()).Error()
	if rueidis.IsRedisNil(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sources: acquire lease %s: %w", key, err)
	}
	return true, nil
}

func extendLease(ctx context.Context, c rueidis.Client, key, token string, ttl time.Duration) (bool, error) {
	n, err := extendScript.Exec(ctx, c, []string{key}, []string{token, fmt.Sprint(ttl.Milliseconds())}).AsInt64()
	if err != nil {
		return false, fmt.Errorf("sources: extend lease %s: %w", key, err)
	}
	return n == 1, nil
}

func releaseLease(ctx context.Context, c rueidis.Client, key, token string) error {
	if err := releaseScript.Exec(ctx, c, []string{key}, []string{token}).Error(); err != nil {
		return fmt.Errorf("sources: release lease %s: %w", key, err)
	}
	return nil
}
