package realtime

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/rueidis"
)

// RateLimit is a number of requests allowed per period ("6/min" is
// RateLimit{6, time.Minute}). A zero Count means unlimited.
type RateLimit struct {
	Count  int
	Period time.Duration
}

// Limiter counts requests per key in Redis, so a limit holds across every web
// node. It is a GCRA (the generic cell rate algorithm): Count requests may come
// at once, then one per Period/Count; one key costs one small string in Redis.
type Limiter struct {
	client    rueidis.Client
	namespace string
}

// NewLimiter returns a limiter whose keys start with namespace + "limit:".
func NewLimiter(client rueidis.Client, namespace string) *Limiter {
	return &Limiter{client: client, namespace: namespace}
}

// gcraScript keeps the theoretical arrival time (ms) of the next request in
// KEYS[1]. ARGV: emission interval ms, burst tolerance ms. Redis's own clock
// keeps nodes with skewed clocks consistent. Returns {allowed, retry_after_ms}.
var gcraScript = rueidis.NewLuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new = tat + interval
local allow_at = new - burst
if allow_at > now then
  return {0, allow_at - now}
end
redis.call('SET', KEYS[1], new, 'PX', new - now)
return {1, 0}
`)

// Allow takes one request from key's allowance. When the allowance is spent
// it returns false and how long until the next request would be allowed.
func (l *Limiter) Allow(ctx context.Context, key string, r RateLimit) (bool, time.Duration, error) {
	if r.Count <= 0 || r.Period <= 0 {
		return true, 0, nil
	}
	interval, burst := gcraParams(r)
	vals, err := gcraScript.Exec(ctx, l.client, []string{l.namespace + "limit:" + key},
		[]string{interval, burst}).AsIntSlice()
	if err != nil {
		return true, 0, fmt.Errorf("realtime: rate limit %s: %w", key, err)
	}
	if len(vals) != 2 {
		return true, 0, fmt.Errorf("realtime: rate limit %s: script answered %v", key, vals)
	}
	return vals[0] == 1, time.Duration(vals[1]) * time.Millisecond, nil
}

// clientScript is gcraScript over two keys at once: a client's allowance
// (KEYS[1], ARGV[1..2]) and its address's ceiling (KEYS[2], ARGV[3..4]). A
// request is taken from both or, when either is spent, from neither: a
// refused client never eats into its neighbours' ceiling.
var clientScript = rueidis.NewLuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function gcra(key, interval, burst)
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  local new = tat + interval
  return new, new - burst - now
end
local n1, w1 = gcra(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
local n2, w2 = gcra(KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[4]))
if w1 > 0 or w2 > 0 then
  return {0, math.max(w1, w2)}
end
redis.call('SET', KEYS[1], n1, 'PX', n1 - now)
redis.call('SET', KEYS[2], n2, 'PX', n2 - now)
return {1, 0}
`)

// AllowClient takes one request of kind from a client's allowance (rate)
// and from its address's ceiling, atomically and in one round trip. Both
// keys carry the address as hash tag, so they share a Redis Cluster slot.
func (l *Limiter) AllowClient(ctx context.Context, kind, client, ip string, rate, ceiling RateLimit) (bool, time.Duration, error) {
	switch {
	case rate.Count <= 0 || rate.Period <= 0:
		return l.Allow(ctx, kind+":{"+ip+"}:ip", ceiling)
	case ceiling.Count <= 0 || ceiling.Period <= 0:
		return l.Allow(ctx, kind+":{"+ip+"}:c:"+client, rate)
	}
	i1, b1 := gcraParams(rate)
	i2, b2 := gcraParams(ceiling)
	p := l.namespace + "limit:" + kind + ":{" + ip + "}:"
	vals, err := clientScript.Exec(ctx, l.client, []string{p + "c:" + client, p + "ip"},
		[]string{i1, b1, i2, b2}).AsIntSlice()
	if err != nil {
		return true, 0, fmt.Errorf("realtime: rate limit %s of %s at %s: %w", kind, client, ip, err)
	}
	if len(vals) != 2 {
		return true, 0, fmt.Errorf("realtime: rate limit %s: script answered %v", kind, vals)
	}
	return vals[0] == 1, time.Duration(vals[1]) * time.Millisecond, nil
}

// gcraParams returns a rate's emission interval and burst tolerance in ms.
func gcraParams(r RateLimit) (interval, burst string) {
	i := max(r.Period.Milliseconds()/int64(r.Count), 1)
	return strconv.FormatInt(i, 10), strconv.FormatInt(i*int64(r.Count), 10)
}

// DefaultMaxWaitsPerAddress is the per-address ceiling on parked polls and
// streams on one node: room for a packed venue behind one NAT, far below
// the node's 20,000 file handles.
const DefaultMaxWaitsPerAddress = 2000

// waitAdmission is admitWait's answer.
type waitAdmission int

const (
	waitAdmitted waitAdmission = iota
	waitClientFull
	waitAddressFull
)

// admitWait is the one admission of a parked request (a long poll or a
// stream), on every path (fiber's, the fast path, the loops): it takes a
// slot of the client's allowance and one of its address's ceiling, or
// neither. A slot taken must be given back with releaseWait.
func (h *Handler) admitWait(client, ip string) waitAdmission {
	if !h.waits.acquire(client) {
		return waitClientFull
	}
	if !h.ipWaits.acquire(ip) {
		h.waits.release(client)
		return waitAddressFull
	}
	return waitAdmitted
}

// releaseWait gives back what admitWait took.
func (h *Handler) releaseWait(client, ip string) {
	h.ipWaits.release(ip)
	h.waits.release(client)
}

// waiters bounds concurrent waits (long polls and streams) per client on
// this node. A waiter is a parked request; bounding them per client keeps
// one browser (or script) from holding thousands of the node's file handles.
type waiters struct {
	max int
	mu  sync.Mutex
	n   map[string]int
}

func newWaiters(max int) *waiters { return &waiters{max: max, n: make(map[string]int)} }

// acquire takes a slot for key, or reports false when key holds max already.
func (w *waiters) acquire(key string) bool {
	if w.max <= 0 {
		return true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.n[key] >= w.max {
		return false
	}
	w.n[key]++
	return true
}

// release gives back a slot acquire took.
func (w *waiters) release(key string) {
	if w.max <= 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.n[key] <= 1 {
		delete(w.n, key)
		return
	}
	w.n[key]--
}

// count returns key's slots in use.
func (w *waiters) count(key string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n[key]
}

// keys returns how many keys hold slots.
func (w *waiters) keys() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.n)
}
