package realtime

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/rueidis"
)

// Live readers: how many browsers follow each event's live log, for the
// reception page's "peak live readers". Each web node counts the polls
// waiting on it (a reader between two polls is away for a moment only, so
// a sample a few times a minute sees nearly all of them) and keeps, per
// event and minute, the most it saw in a Redis hash shared by the nodes;
// the sum over the nodes is the event's readers that minute.

// Readers returns the long polls waiting on this node per event (events
// with none are left out).
func (h *Hub) Readers() map[int64]int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[int64]int64{}
	for id, ev := range h.events {
		if n := ev.waiters.Load(); n > 0 {
			out[id] = int64(n)
		}
	}
	return out
}

// readersTTL is how long a minute's samples stay in Redis: long enough for
// every node to have added its own and the sum to be written.
const readersTTL = 10 * time.Minute

// readersScript keeps the most readers a node saw in a minute and returns
// the sum over the nodes. KEYS: readers:<minute>. ARGV: node, readers, TTL
// seconds.
var readersScript = rueidis.NewLuaScript(`
local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > cur then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
local sum = 0
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do sum = sum + tonumber(v) end
return sum
`)

// SampleReaders records that node held readers of an event at the time at,
// and returns the event's readers in that minute summed over the nodes.
func (l *Log) SampleReaders(ctx context.Context, eventID int64, node string, at time.Time, readers int64) (int64, error) {
	minute := at.UTC().Truncate(time.Minute).Unix()
	key := l.audience(eventID).key("readers:" + strconv.FormatInt(minute, 10))
	n, err := readersScript.Exec(ctx, l.client, []string{key},
		[]string{node, strconv.FormatInt(readers, 10), strconv.Itoa(int(readersTTL / time.Second))}).AsInt64()
	if err != nil {
		return 0, fmt.Errorf("realtime: readers of event %d: %w", eventID, err)
	}
	return n, nil
}
