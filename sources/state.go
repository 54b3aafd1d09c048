package sources

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/rueidis"
)

// State is what a source's runner last reported, for the dashboard.
type State struct {
	Connected   bool
	LastItemAt  time.Time
	ItemsTotal  int64
	Reconnects  int64
	BadPayloads int64
	LastError   string
	LagSeconds  float64
	// Notice is a lasting condition the organizer must know of, in one
	// sentence ("token missing: …"), "" when all is well. Unlike LastError
	// it does not describe one failure but how the source runs now.
	Notice string
	// Backfilled counts the items appended from before the source started
	// (back to the event's starts_at); BackfillDone says that pass is over.
	Backfilled   int64
	BackfillDone bool
	// Holder is the worker running the source (its WORKER_ID, by default
	// hostname:pid).
	Holder    string
	UpdatedAt time.Time
}

func (s State) fields() []string {
	return []string{
		"connected", boolStr(s.Connected),
		"last_item_at", timeStr(s.LastItemAt),
		"items_total", strconv.FormatInt(s.ItemsTotal, 10),
		"reconnects", strconv.FormatInt(s.Reconnects, 10),
		"bad_payloads", strconv.FormatInt(s.BadPayloads, 10),
		"last_error", s.LastError,
		"lag_seconds", strconv.FormatFloat(s.LagSeconds, 'f', 3, 64),
		"notice", s.Notice,
		"backfilled", strconv.FormatInt(s.Backfilled, 10),
		"backfill_done", boolStr(s.BackfillDone),
		"holder", s.Holder,
		"updated_at", timeStr(s.UpdatedAt),
	}
}

func stateFrom(m map[string]string) State {
	var s State
	s.Connected = m["connected"] == "1"
	s.LastItemAt, _ = time.Parse(time.RFC3339Nano, m["last_item_at"])
	s.ItemsTotal, _ = strconv.ParseInt(m["items_total"], 10, 64)
	s.Reconnects, _ = strconv.ParseInt(m["reconnects"], 10, 64)
	s.BadPayloads, _ = strconv.ParseInt(m["bad_payloads"], 10, 64)
	s.LastError = m["last_error"]
	s.LagSeconds, _ = strconv.ParseFloat(m["lag_seconds"], 64)
	s.Notice = m["notice"]
	s.Backfilled, _ = strconv.ParseInt(m["backfilled"], 10, 64)
	s.BackfillDone = m["backfill_done"] == "1"
	s.Holder = m["holder"]
	s.UpdatedAt, _ = time.Parse(time.RFC3339Nano, m["updated_at"])
	return s
}

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func timeStr(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// writeStateScript writes a runner's state unless a holder with a higher
// fence wrote it already (lease.go): a zombie never paints its state over its
// successor's. A delegate (fence -1, see unfenced) writes the fields only,
// leaving the fence to the lease's holders. It expires a day after the last write so removed sources do
// not linger.
var writeStateScript = rueidis.NewLuaScript(`
if ARGV[1] == '-1' then
  redis.call('HSET', KEYS[1], unpack(ARGV, 2))
  redis.call('EXPIRE', KEYS[1], 86400)
  return 1
end
local f = tonumber(redis.call('HGET', KEYS[1], 'fence') or '0') or 0
if tonumber(ARGV[1]) < f then
  return 0
end
redis.call('HSET', KEYS[1], 'fence', ARGV[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], 86400)
return 1`)

// unfenced is the fence a delegate writes with (runner.delegate).
const unfenced = -1

// writeState stores a runner's state under its lease's fence; errLeaseFenced
// when a later holder wrote it.
func writeState(ctx context.Context, c rueidis.Client, key string, fence int64, s State) error {
	args := append([]string{strconv.FormatInt(fence, 10)}, s.fields()...)
	n, err := writeStateScript.Exec(ctx, c, []string{key}, args).AsInt64()
	if err != nil {
		return fmt.Errorf("sources: write state %s: %w", key, err)
	}
	if n != 1 {
		return errLeaseFenced
	}
	return nil
}

// pairs walks a flat field, value, field, value list as pairs.
func pairs(kv []string) func(yield func(string, string) bool) {
	return func(yield func(string, string) bool) {
		for i := 0; i+1 < len(kv); i += 2 {
			if !yield(kv[i], kv[i+1]) {
				return
			}
		}
	}
}

// ReadStates returns the reported state of each source (sources that never
// reported are missing from the map). namespace is "" in production.
func ReadStates(ctx context.Context, c rueidis.Client, namespace string, ids []int64) (map[int64]State, error) {
	k := keys{ns: namespace}
	out := make(map[int64]State, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	cmds := make(rueidis.Commands, len(ids))
	for i, id := range ids {
		cmds[i] = c.B().Hgetall().Key(k.state(id)).Build()
	}
	for i, r := range c.DoMulti(ctx, cmds...) {
		m, err := r.AsStrMap()
		if err != nil {
			return nil, fmt.Errorf("sources: read state of source %d: %w", ids[i], err)
		}
		if len(m) > 0 {
			out[ids[i]] = stateFrom(m)
		}
	}
	return out, nil
}

// RequestReconnect asks the runner of a source to drop its connection and
// reconnect (with a backfill) within a few seconds, whichever worker holds it.
func RequestReconnect(ctx context.Context, c rueidis.Client, namespace string, sourceID int64) error {
	key := keys{ns: namespace}.reconnect(sourceID)
	if err := c.Do(ctx, c.B().Set().Key(key).Value("1").Ex(time.Minute).Build()).Error(); err != nil {
		return fmt.Errorf("sources: request reconnect of source %d: %w", sourceID, err)
	}
	return nil
}
