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
// neither. A ticket taken must be given back with releaseWait. hint is an
// earlier ticket of the same connection (or the zero ticket): when it names
// the same client and address, their slots are found without a lookup.
func (h *Handler) admitWait(client, ip string, hint waitTicket) (waitTicket, waitAdmission) {
	c := h.waits.acquire(client, hint.client)
	if c == nil {
		return waitTicket{}, waitClientFull
	}
	a := h.ipWaits.acquire(ip, hint.addr)
	if a == nil {
		h.waits.release(c)
		return waitTicket{}, waitAddressFull
	}
	return waitTicket{client: c, addr: a}, waitAdmitted
}

// releaseWait gives back what admitWait took.
func (h *Handler) releaseWait(t waitTicket) {
	h.ipWaits.release(t.addr)
	h.waits.release(t.client)
}

// waitTicket is the pair of slots admitWait took; the zero ticket holds none.
type waitTicket struct {
	client, addr *waitSlot
}

// held reports whether the ticket holds slots.
func (t waitTicket) held() bool { return t.client != nil }

// waiters bounds concurrent waits (long polls and streams) per client on
// this node. A waiter is a parked request; bounding them per client keeps
// one browser (or script) from holding thousands of the node's file handles.
//
// A key's count stays in the map at zero until it has been idle through a
// whole sweep interval, so a browser that polls again and again is neither
// inserted nor deleted each time (its slot is idle only between an answer
// and its next poll), and a holder gives its slot back without a lookup.
type waiters struct {
	max      int
	mu       sync.Mutex
	slots    map[string]*waitSlot
	idle     int // slots in the map at zero
	released int // releases since the last sweep
}

// waitSlot is one key's count of waits in use.
type waitSlot struct {
	key      string // fixed
	n        int    // under waiters.mu
	idleSeen bool   // under waiters.mu: at zero at the last sweep, and since
	swept    bool   // under waiters.mu: out of the map, look the key up again
}

// keyOr returns the slot's key when it equals b, else b as a new string: a
// connection that polls again for the same browser allocates no key.
func (s *waitSlot) keyOr(b []byte) string {
	if s != nil && s.key == string(b) {
		return s.key
	}
	return string(b)
}

// unboundedSlot is what acquire hands out when there is no bound.
var unboundedSlot = &waitSlot{}

// minSweep is how many idle keys the map keeps before a sweep is worth it.
const minSweep = 1024

func newWaiters(max int) *waiters { return &waiters{max: max, slots: make(map[string]*waitSlot)} }

// acquire takes a slot for key, or returns nil when key holds max already.
// hint, when it is key's slot from an earlier acquire, spares the lookup.
func (w *waiters) acquire(key string, hint *waitSlot) *waitSlot {
	if w.max <= 0 {
		return unboundedSlot
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	s := hint
	if s == nil || s.swept || s.key != key {
		s = w.slots[key]
		if s == nil {
			s = &waitSlot{key: key}
			w.slots[key] = s
			w.idle++
		}
	}
	if s.n >= w.max {
		return nil
	}
	if s.n == 0 {
		w.idle--
	}
	s.n++
	s.idleSeen = false
	return s
}

// release gives back a slot acquire took (nil: none).
func (w *waiters) release(s *waitSlot) {
	if s == nil || s == unboundedSlot {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	s.n--
	w.released++
	if s.n > 0 {
		return
	}
	w.idle++
	if w.idle >= minSweep && w.idle > len(w.slots)/2 && w.released > len(w.slots)/2 {
		w.sweep()
	}
}

// sweep drops the keys that were at zero at the last sweep and still are,
// and marks the ones at zero now. Caller holds w.mu. It runs when half the
// map is idle and after as many releases, so its cost is spread over them.
func (w *waiters) sweep() {
	for k, s := range w.slots {
		switch {
		case s.n > 0:
		case s.idleSeen:
			s.swept = true
			delete(w.slots, k)
			w.idle--
		default:
			s.idleSeen = true
		}
	}
	w.released = 0
}

// count returns key's slots in use.
func (w *waiters) count(key string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if s := w.slots[key]; s != nil {
		return s.n
	}
	return 0
}

// keys returns how many keys hold slots.
func (w *waiters) keys() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.slots) - w.idle
}
