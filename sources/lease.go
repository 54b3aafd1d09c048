package sources

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"
)

// A source's lease lives in the same Redis hash as its cursor (keys.lease ==
// keys.cursor), in three fields:
//
//   - holder: the holder's token, "<node>#<incarnation>#<random>" for a
//     runner (see node.go), any unique string for a poll; "" when free;
//   - until: when the lease runs out, in Redis's own clock (ms), a backstop
//     for a holder whose node still beats but whose runner is stuck;
//   - fence: a counter raised by every acquisition, so holders are ordered.
//
// Keeping the lease beside the cursor makes every cursor save and its check
// that the writer still holds the lease one atomic script on one key (and so
// one Redis Cluster slot): a zombie holder (a paused or partitioned process
// that missed its takeover) can never save its cursor over its successor's.
// The state hash (the dashboard's) is fenced by the fence number the same
// way (state.go). Appends are not fenced in Redis, since the live log's
// script belongs to realtime: a runner appends only while its node's
// heartbeat is confirmed (node.go), and a late append is at worst an item the
// new holder fetches too, which the log's dedupe on item ID drops.
//
// A lease is free when its holder is empty, when until has passed, when the
// caller proves the holder dead (the steal argument: a holder whose node
// heartbeat is gone, checked just before), or when the holder is a previous
// incarnation of the caller's own node (a restarted worker reclaims its
// sources at once).
var (
	acquireScript = rueidis.NewLuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local h = redis.call('HMGET', KEYS[1], 'holder', 'until')
local holder = h[1] or ''
local untilms = tonumber(h[2] or '0') or 0
local free = holder == '' or untilms <= now or (ARGV[3] ~= '' and holder == ARGV[3])
if not free and ARGV[4] ~= '' and string.sub(holder, 1, #ARGV[4]) == ARGV[4] and string.sub(holder, 1, #ARGV[5]) ~= ARGV[5] then
  free = true
end
if not free then
  return {0, holder}
end
local f = redis.call('HINCRBY', KEYS[1], 'fence', 1)
redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'until', tostring(now + tonumber(ARGV[2])))
return {f, holder}`)
	extendScript = rueidis.NewLuaScript(`
if redis.call('HGET', KEYS[1], 'holder') ~= ARGV[1] then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'until', tostring(now + tonumber(ARGV[2])))
return 1`)
	releaseScript = rueidis.NewLuaScript(`
if redis.call('HGET', KEYS[1], 'holder') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'holder', '', 'until', '0')
return 1`)
	// saveCursorScript saves a cursor only for the lease's holder.
	saveCursorScript = rueidis.NewLuaScript(`
if redis.call('HGET', KEYS[1], 'holder') ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'cursor', ARGV[2], 'saved_at', ARGV[3])
return 1`)
)

// errLeaseFenced is a write refused because another holder took the lease.
var errLeaseFenced = errors.New("sources: lease taken by another holder; write refused")

// leaseClaim is how to take a lease: the token to hold it with, the holder
// the caller proved dead (steal), and the caller's node and incarnation
// prefixes ("<node>#", "<node>#<inc>#") for reclaiming a previous
// incarnation's leases; all but token may be empty.
type leaseClaim struct {
	token, steal, nodePrefix, incPrefix string
}

// leaseResult is an acquisition's outcome: fence > 0 when taken, and the
// holder found (the previous one when taken).
type leaseResult struct {
	fence  int64
	holder string
}

func (c leaseClaim) args(ttl time.Duration) []string {
	return []string{c.token, strconv.FormatInt(ttl.Milliseconds(), 10), c.steal, c.nodePrefix, c.incPrefix}
}

func parseLeaseResult(key string, m rueidis.RedisResult) (leaseResult, error) {
	vs, err := m.ToArray()
	if err != nil || len(vs) != 2 {
		return leaseResult{}, fmt.Errorf("sources: acquire lease %s: %w", key, errors.Join(err, errors.New("unexpected answer")))
	}
	f, err := vs[0].AsInt64()
	if err != nil {
		return leaseResult{}, fmt.Errorf("sources: acquire lease %s: %w", key, err)
	}
	h, _ := vs[1].ToString()
	return leaseResult{fence: f, holder: h}, nil
}

// takeLease tries to take the lease at key for ttl.
func takeLease(ctx context.Context, c rueidis.Client, key string, claim leaseClaim, ttl time.Duration) (leaseResult, error) {
	return parseLeaseResult(key, acquireScript.Exec(ctx, c, []string{key}, claim.args(ttl)))
}

// takeLeases tries several leases in one round trip.
func takeLeases(ctx context.Context, c rueidis.Client, keys []string, claims []leaseClaim, ttl time.Duration) ([]leaseResult, []error) {
	execs := make([]rueidis.LuaExec, len(keys))
	for i, k := range keys {
		execs[i] = rueidis.LuaExec{Keys: []string{k}, Args: claims[i].args(ttl)}
	}
	res := acquireScript.ExecMulti(ctx, c, execs...)
	out, errs := make([]leaseResult, len(res)), make([]error, len(res))
	for i, r := range res {
		out[i], errs[i] = parseLeaseResult(keys[i], r)
	}
	return out, errs
}

// acquireLease takes the lease at key with token when it is free or has
// run out (polls and tests; runners take theirs through takeLease).
func acquireLease(ctx context.Context, c rueidis.Client, key, token string, ttl time.Duration) (bool, error) {
	r, err := takeLease(ctx, c, key, leaseClaim{token: token}, ttl)
	return r.fence > 0, err
}

// extendLease pushes the lease's end ttl further, for its holder only.
func extendLease(ctx context.Context, c rueidis.Client, key, token string, ttl time.Duration) (bool, error) {
	n, err := extendScript.Exec(ctx, c, []string{key}, []string{token, strconv.FormatInt(ttl.Milliseconds(), 10)}).AsInt64()
	if err != nil {
		return false, fmt.Errorf("sources: extend lease %s: %w", key, err)
	}
	return n == 1, nil
}

// releaseLease frees the lease for its holder only; the cursor and the fence
// stay.
func releaseLease(ctx context.Context, c rueidis.Client, key, token string) error {
	if err := releaseScript.Exec(ctx, c, []string{key}, []string{token}).Error(); err != nil {
		return fmt.Errorf("sources: release lease %s: %w", key, err)
	}
	return nil
}

// saveCursor saves cursor for the lease's holder; errLeaseFenced when token
// no longer holds it.
func saveCursor(ctx context.Context, c rueidis.Client, key, token, cursor string, at time.Time) error {
	n, err := saveCursorScript.Exec(ctx, c, []string{key}, []string{token, cursor, timeStr(at)}).AsInt64()
	if err != nil {
		return fmt.Errorf("sources: save cursor %s: %w", key, err)
	}
	if n != 1 {
		return errLeaseFenced
	}
	return nil
}

// leaseHolder reads who holds the lease and its fence.
func leaseHolder(ctx context.Context, c rueidis.Client, key string) (holder string, fence int64, err error) {
	vs, err := c.Do(ctx, c.B().Hmget().Key(key).Field("holder", "fence").Build()).ToArray()
	if err != nil {
		return "", 0, fmt.Errorf("sources: read lease %s: %w", key, err)
	}
	holder = str(vs, 0)
	fence, _ = strconv.ParseInt(str(vs, 1), 10, 64)
	return holder, fence, nil
}

// holderNode splits a runner's token "<node>#<inc>#<random>" into its node
// and incarnation; ok is false for other tokens (polls, older workers).
func holderNode(token string) (node, inc string, ok bool) {
	parts := strings.Split(token, "#")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}
