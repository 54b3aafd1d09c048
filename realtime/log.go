package realtime

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/live"
)

// ErrUnknownTarget is returned by AppendOp when the targeted seq is not an
// item of the event's log.
var ErrUnknownTarget = errors.New("realtime: unknown target item")

// Log is the live log of every event, kept in Redis. All keys of one event
// share the hash tag {ev:<id>} so its scripts stay atomic on a Redis Cluster.
type Log struct {
	client  rueidis.Client
	ns      string
	metrics *Metrics
}

// NewLog returns the live log over client. namespace prefixes every key and
// channel ("" in production, testenv's Namespace in tests).
func NewLog(client rueidis.Client, namespace string) *Log {
	return &Log{client: client, ns: namespace}
}

// SetMetrics makes the log count appended entries on m (nil to stop).
func (l *Log) SetMetrics(m *Metrics) { l.metrics = m }

// AppendResult says where an append landed.
type AppendResult struct {
	Seq       int64
	Epoch     string
	Duplicate bool
}

// keys of one event's log, in the order every script takes them.
func (l *Log) keys(eventID int64) []string {
	p := l.ns + "live:{ev:" + strconv.FormatInt(eventID, 10) + "}:"
	return []string{p + "seq", p + "epoch", p + "ids", p + "log", p + "state", p + "shown"}
}

// channel is where the append script publishes an event's entries.
func (l *Log) channel(eventID int64) string {
	return l.ns + "live:pub:" + strconv.FormatInt(eventID, 10)
}

// pattern matches the channel of every event.
func (l *Log) pattern() string { return l.ns + "live:pub:*" }

// eventOfChannel parses the event id out of a channel name.
func (l *Log) eventOfChannel(ch string) (int64, bool) {
	s, ok := strings.CutPrefix(ch, l.ns+"live:pub:")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil
}

// appendScript is the one place that assigns seq. KEYS: seq, epoch, ids, log,
// state, shown. ARGV: op, id (add) or target seq (other ops), item JSON (for
// add without its leading {"seq":0, ), "1" when an added item is public or the
// hidden variant of an op's item JSON, channel, epoch candidate, and for a
// spotlight its JSON. Hide, reject and hold take the target off the shown
// set; unhide and approve put it back; a spotlight changes no state and
// needs a shown target.
//
// The entry is built by concatenation so the script needs no JSON library and
// publishes exactly the bytes it stores: hubs deliver from the message alone.
// XADD is the only write that can fail (an id not above the stream's last),
// so it runs before any other write: Redis does not roll a script back.
var appendScript = rueidis.NewLuaScript(`
local ep = redis.call('GET', KEYS[2])
if not ep then ep = ARGV[6]; redis.call('SET', KEYS[2], ep) end
local op = ARGV[1]
if op == 'add' then
  local old = redis.call('HGET', KEYS[3], ARGV[2])
  if old then return {tonumber(old), ep, 1} end
  local seq = tonumber(redis.call('GET', KEYS[1]) or '0') + 1
  local s = tostring(seq)
  local item = '{"seq":' .. s .. ',' .. ARGV[3]
  local entry = '{"seq":' .. s .. ',"op":"add","item":' .. item .. '}'
  redis.call('XADD', KEYS[4], s .. '-0', 'e', entry)
  redis.call('SET', KEYS[1], s)
  redis.call('HSET', KEYS[3], ARGV[2], s)
  redis.call('HSET', KEYS[5], s, item)
  if ARGV[4] == '1' then redis.call('ZADD', KEYS[6], seq, s) end
  redis.call('PUBLISH', ARGV[5], ep .. ' ' .. entry)
  return {seq, ep, 0}
end
local t = ARGV[2]
if redis.call('HEXISTS', KEYS[5], t) == 0 then
  return redis.error_reply('UNKNOWNTARGET no item at seq ' .. t)
end
local takedown = op == 'hide' or op == 'reject' or op == 'hold'
local shows = op == 'unhide' or op == 'approve'
if op == 'spotlight' and not redis.call('ZSCORE', KEYS[6], t) then
  return redis.error_reply('NOTPUBLIC item ' .. t .. ' is not shown')
end
local s = tostring(tonumber(redis.call('GET', KEYS[1]) or '0') + 1)
local entry, item
if takedown then
  entry = '{"seq":' .. s .. ',"op":"' .. op .. '","target":' .. t .. '}'
elseif op == 'spotlight' then
  entry = '{"seq":' .. s .. ',"op":"spotlight","item":' .. ARGV[3] .. ',"target":' .. t .. ',"spotlight":' .. ARGV[7] .. '}'
else
  item = ARGV[3]
  if not shows and not redis.call('ZSCORE', KEYS[6], t) then item = ARGV[4] end
  entry = '{"seq":' .. s .. ',"op":"' .. op .. '","item":' .. item .. ',"target":' .. t .. '}'
end
redis.call('XADD', KEYS[4], s .. '-0', 'e', entry)
redis.call('SET', KEYS[1], s)
if takedown then
  redis.call('ZREM', KEYS[6], t)
elseif op ~= 'spotlight' then
  if shows then redis.call('ZADD', KEYS[6], tonumber(t), t) end
  redis.call('HSET', KEYS[5], t, item)
end
redis.call('PUBLISH', ARGV[5], ep .. ' ' .. entry)
return {tonumber(s), ep, 0}
`)

// headScript returns {epoch, head}, creating the epoch on first use.
// KEYS: seq, epoch. ARGV: epoch candidate.
var headScript = rueidis.NewLuaScript(`
local ep = redis.call('GET', KEYS[2])
if not ep then ep = ARGV[1]; redis.call('SET', KEYS[2], ep) end
return {ep, tonumber(redis.call('GET', KEYS[1]) or '0')}
`)

// epochScript replaces the epoch when it is still ARGV[1] and publishes the
// change ("<epoch> <head>") so every hub resets. KEYS: seq, epoch. ARGV:
// expected epoch, new epoch, channel. Returns {epoch, head}.
var epochScript = rueidis.NewLuaScript(`
local ep = redis.call('GET', KEYS[2])
local head = tonumber(redis.call('GET', KEYS[1]) or '0')
if (not ep) or ep == ARGV[1] then
  ep = ARGV[2]
  redis.call('SET', KEYS[2], ep)
  redis.call('PUBLISH', ARGV[3], ep .. ' ' .. tostring(head))
end
return {ep, head}
`)

func newEpoch() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// itemPrefix is how json.Marshal starts an Item whose Seq is 0.
var itemPrefix = []byte(`{"seq":0,`)

// AppendItem appends an add entry in one atomic script: dedupe on it.ID, next
// seq, store the entry and the item's state, publish the entry. A duplicate
// returns the original's seq with Duplicate set and appends nothing.
func (l *Log) AppendItem(ctx context.Context, eventID int64, it live.Item) (AppendResult, error) {
	if it.ID == "" {
		return AppendResult{}, errors.New("realtime: append: item has no id")
	}
	it.Seq = 0
	b, err := json.Marshal(it)
	if err != nil {
		return AppendResult{}, fmt.Errorf("realtime: append: encode item: %w", err)
	}
	if !bytes.HasPrefix(b, itemPrefix) {
		return AppendResult{}, errors.New("realtime: append: unexpected item encoding")
	}
	public := "0"
	if !it.Hidden && !it.Held {
		public = "1"
	}
	res, err := l.run(ctx, eventID, []string{live.OpAdd, it.ID, string(b[len(itemPrefix):]), public, l.channel(eventID), newEpoch()})
	if err != nil {
		return res, fmt.Errorf("realtime: append item %s to event %d: %w", it.ID, eventID, err)
	}
	return res, nil
}

// AppendOp appends hide, unhide, pin, unpin, update, approve, reject or hold
// targeting the item at seq target. it carries the item's new state (ignored
// for hide, reject and hold, which take the item off public views); pin and
// unpin set its Pinned flag, unhide and approve clear Hidden and Held. An op
// on an item that is not public keeps it private. Unknown target →
// ErrUnknownTarget.
func (l *Log) AppendOp(ctx context.Context, eventID int64, op string, target int64, it *live.Item) (AppendResult, error) {
	return l.appendOp(ctx, eventID, op, target, it, "")
}

// ErrNotShown is returned by AppendSpotlight when the target item is not
// public (hidden, held, or unknown to the shown set).
var ErrNotShown = errors.New("realtime: the item is not shown")

// AppendSpotlight appends a spotlight of the public item at seq target:
// walls show it until sp.Until. A hidden or held target is ErrNotShown.
func (l *Log) AppendSpotlight(ctx context.Context, eventID int64, target int64, it live.Item, sp live.Spotlight) (AppendResult, error) {
	b, err := json.Marshal(sp)
	if err != nil {
		return AppendResult{}, fmt.Errorf("realtime: append spotlight: encode: %w", err)
	}
	return l.appendOp(ctx, eventID, live.OpSpotlight, target, &it, string(b))
}

func (l *Log) appendOp(ctx context.Context, eventID int64, op string, target int64, it *live.Item, extra string) (AppendResult, error) {
	var shown, hidden string
	switch op {
	case live.OpHide, live.OpReject, live.OpHold:
	case live.OpUnhide, live.OpApprove, live.OpPin, live.OpUnpin, live.OpUpdate, live.OpSpotlight:
		if it == nil {
			return AppendResult{}, fmt.Errorf("realtime: append %s: item is required", op)
		}
		c := *it
		c.Seq = target
		switch op {
		case live.OpPin:
			c.Pinned = true
		case live.OpUnpin:
			c.Pinned = false
		}
		c.Hidden, c.Held = false, false
		b, err := json.Marshal(c)
		if err != nil {
			return AppendResult{}, fmt.Errorf("realtime: append %s: encode item: %w", op, err)
		}
		shown = string(b)
		c.Hidden = true
		if b, err = json.Marshal(c); err != nil {
			return AppendResult{}, fmt.Errorf("realtime: append %s: encode item: %w", op, err)
		}
		hidden = string(b)
	default:
		return AppendResult{}, fmt.Errorf("realtime: append: unknown op %q", op)
	}
	if target <= 0 {
		return AppendResult{}, fmt.Errorf("realtime: append %s: %w", op, ErrUnknownTarget)
	}
	res, err := l.run(ctx, eventID, []string{op, strconv.FormatInt(target, 10), shown, hidden, l.channel(eventID), newEpoch(), extra})
	if err != nil {
		return res, fmt.Errorf("realtime: append %s of %d to event %d: %w", op, target, eventID, err)
	}
	return res, nil
}

func (l *Log) run(ctx context.Context, eventID int64, args []string) (AppendResult, error) {
	vals, err := appendScript.Exec(ctx, l.client, l.keys(eventID), args).ToArray()
	if err != nil {
		if re, ok := rueidis.IsRedisErr(err); ok && strings.HasPrefix(re.Error(), "UNKNOWNTARGET") {
			return AppendResult{}, ErrUnknownTarget
		}
		if re, ok := rueidis.IsRedisErr(err); ok && strings.HasPrefix(re.Error(), "NOTPUBLIC") {
			return AppendResult{}, ErrNotShown
		}
		return AppendResult{}, err
	}
	if len(vals) != 3 {
		return AppendResult{}, fmt.Errorf("script returned %d values", len(vals))
	}
	var r AppendResult
	if r.Seq, err = vals[0].AsInt64(); err != nil {
		return r, err
	}
	if r.Epoch, err = vals[1].ToString(); err != nil {
		return r, err
	}
	dup, err := vals[2].AsInt64()
	if err != nil {
		return r, err
	}
	r.Duplicate = dup == 1
	if !r.Duplicate && l.metrics != nil {
		l.metrics.Appended.Inc()
	}
	return r, nil
}

// Head returns the log's epoch (created on first use) and the last seq
// assigned (0 for an empty log).
func (l *Log) Head(ctx context.Context, eventID int64) (epoch string, head int64, err error) {
	k := l.keys(eventID)
	vals, err := headScript.Exec(ctx, l.client, k[:2], []string{newEpoch()}).ToArray()
	if err == nil && len(vals) != 2 {
		err = fmt.Errorf("script returned %d values", len(vals))
	}
	if err == nil {
		if epoch, err = vals[0].ToString(); err == nil {
			head, err = vals[1].AsInt64()
		}
	}
	if err != nil {
		return "", 0, fmt.Errorf("realtime: head of event %d: %w", eventID, err)
	}
	return epoch, head, nil
}

// NewEpoch gives the log a fresh epoch if its epoch is still old (so several
// hubs noticing the same loss change it once), publishes the change and
// returns the current epoch and head.
func (l *Log) NewEpoch(ctx context.Context, eventID int64, old string) (epoch string, head int64, err error) {
	k := l.keys(eventID)
	vals, err := epochScript.Exec(ctx, l.client, k[:2], []string{old, newEpoch(), l.channel(eventID)}).ToArray()
	if err == nil && len(vals) != 2 {
		err = fmt.Errorf("script returned %d values", len(vals))
	}
	if err == nil {
		if epoch, err = vals[0].ToString(); err == nil {
			head, err = vals[1].AsInt64()
		}
	}
	if err != nil {
		return "", 0, fmt.Errorf("realtime: new epoch of event %d: %w", eventID, err)
	}
	return epoch, head, nil
}

// rawEntry is an entry with the exact JSON the log stores for it.
type rawEntry struct {
	live.Entry
	raw []byte
}

// Range returns the entries with seq > after, ascending, at most limit.
// It costs one XRANGE: O(log n + limit).
func (l *Log) Range(ctx context.Context, eventID int64, after int64, limit int) ([]live.Entry, error) {
	raws, err := l.rangeRaw(ctx, eventID, after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]live.Entry, len(raws))
	for i, r := range raws {
		out[i] = r.Entry
	}
	return out, nil
}

func (l *Log) rangeRaw(ctx context.Context, eventID int64, after int64, limit int) ([]rawEntry, error) {
	if limit <= 0 {
		return nil, nil
	}
	if after < 0 {
		after = 0
	}
	k := l.keys(eventID)
	xs, err := l.client.Do(ctx, l.client.B().Xrange().Key(k[3]).Start(strconv.FormatInt(after+1, 10)+"-0").End("+").Count(int64(limit)).Build()).AsXRange()
	if err != nil {
		return nil, fmt.Errorf("realtime: range of event %d after %d: %w", eventID, after, err)
	}
	out := make([]rawEntry, 0, len(xs))
	for _, x := range xs {
		raw := []byte(x.FieldValues["e"])
		var e live.Entry
		if err := json.Unmarshal(raw, &e); err != nil {
			return nil, fmt.Errorf("realtime: range of event %d: entry %s: %w", eventID, x.ID, err)
		}
		if v, ok := x.FieldValues["v"]; ok {
			parsePrivate(&e, v) // a vote's voter: never in raw, which clients get
		}
		out = append(out, rawEntry{Entry: e, raw: raw})
	}
	return out, nil
}

// Oldest returns the lowest seq still held in Redis (0 when none).
func (l *Log) Oldest(ctx context.Context, eventID int64) (int64, error) {
	k := l.keys(eventID)
	xs, err := l.client.Do(ctx, l.client.B().Xrange().Key(k[3]).Start("-").End("+").Count(1).Build()).AsXRange()
	if err != nil {
		return 0, fmt.Errorf("realtime: oldest of event %d: %w", eventID, err)
	}
	if len(xs) == 0 {
		return 0, nil
	}
	return seqOfID(xs[0].ID)
}

func seqOfID(id string) (int64, error) {
	s, _, _ := strings.Cut(id, "-")
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("realtime: bad log id %q: %w", id, err)
	}
	return n, nil
}

// Held reports what Redis holds of an event's log: items, the item states
// that snapshots and ops read (kept for the log's life, so they grow with
// the event), and entries, those the strainer has not yet let it trim.
func (l *Log) Held(ctx context.Context, eventID int64) (items, entries int64, err error) {
	k := l.keys(eventID)
	res := l.client.DoMulti(ctx, l.client.B().Hlen().Key(k[4]).Build(), l.client.B().Xlen().Key(k[3]).Build())
	if items, err = res[0].AsInt64(); err != nil {
		return 0, 0, fmt.Errorf("realtime: items held for event %d: %w", eventID, err)
	}
	if entries, err = res[1].AsInt64(); err != nil {
		return 0, 0, fmt.Errorf("realtime: entries held for event %d: %w", eventID, err)
	}
	return items, entries, nil
}

// compactBatch is how many item states one HDEL of Compact drops.
const compactBatch = 1000

// Compact drops the item states, and the entries of the shown index, of
// every item older than the newest keep public ones, and returns how many
// states it dropped. For events that are over: what stays still answers any
// snapshot (keep at least MaxLimit), ops on a dropped item fail with
// ErrUnknownTarget (the admin then changes Postgres alone, which archives
// read), and the dedupe ids stay, so a late copy of an old item is still
// refused. A crash midway leaves a state that the next call finishes.
func (l *Log) Compact(ctx context.Context, eventID int64, keep int) (dropped int64, err error) {
	k := l.keys(eventID)
	shown, state := k[5], k[4]
	newest, err := l.client.Do(ctx, l.client.B().Zrevrange().Key(shown).Start(int64(keep)-1).Stop(int64(keep)-1).Build()).AsStrSlice()
	if err != nil {
		return 0, fmt.Errorf("realtime: compact event %d: %w", eventID, err)
	}
	if len(newest) == 0 {
		return 0, nil // no more than keep items shown: nothing to drop
	}
	cutoff, err := strconv.ParseInt(newest[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("realtime: compact event %d: shown member %q: %w", eventID, newest[0], err)
	}
	if err := l.client.Do(ctx, l.client.B().Zremrangebyscore().Key(shown).Min("-inf").Max("("+newest[0]).Build()).Error(); err != nil {
		return 0, fmt.Errorf("realtime: compact event %d: %w", eventID, err)
	}
	// Where an earlier call got to: states below it are gone already.
	done := strings.TrimSuffix(shown, "shown") + "compacted"
	start, err := l.client.Do(ctx, l.client.B().Get().Key(done).Build()).AsInt64()
	if err != nil && !rueidis.IsRedisNil(err) {
		return 0, fmt.Errorf("realtime: compact event %d: %w", eventID, err)
	}
	fields := make([]string, 0, compactBatch)
	for from := max(start, 1); from < cutoff; from += compactBatch {
		fields = fields[:0]
		for seq := from; seq < min(from+compactBatch, cutoff); seq++ {
			fields = append(fields, strconv.FormatInt(seq, 10))
		}
		n, err := l.client.Do(ctx, l.client.B().Hdel().Key(state).Field(fields...).Build()).AsInt64()
		if err != nil {
			return dropped, fmt.Errorf("realtime: compact event %d: %w", eventID, err)
		}
		dropped += n
	}
	if cutoff > start {
		if err := l.client.Do(ctx, l.client.B().Set().Key(done).Value(strconv.FormatInt(cutoff, 10)).Build()).Error(); err != nil {
			return dropped, fmt.Errorf("realtime: compact event %d: %w", eventID, err)
		}
	}
	return dropped, nil
}

// Trim drops the entries with seq <= upTo. Item state for snapshots and the
// dedupe ids are kept for the life of the log: ops may still target old items
// and a replayed old item must still be recognised.
func (l *Log) Trim(ctx context.Context, eventID int64, upTo int64) error {
	k := l.keys(eventID)
	err := l.client.Do(ctx, l.client.B().Xtrim().Key(k[3]).Minid().Threshold(strconv.FormatInt(upTo+1, 10)+"-0").Build()).Error()
	if err != nil {
		return fmt.Errorf("realtime: trim event %d up to %d: %w", eventID, upTo, err)
	}
	return nil
}

// snapshotScript returns {epoch, head, item JSON...} with the newest ARGV[1]
// public items, newest first, creating the epoch on first use.
// KEYS: seq, epoch, state, shown. ARGV: limit, epoch candidate.
var snapshotScript = rueidis.NewLuaScript(`
local ep = redis.call('GET', KEYS[2])
if not ep then ep = ARGV[2]; redis.call('SET', KEYS[2], ep) end
local out = {ep, tonumber(redis.call('GET', KEYS[1]) or '0')}
local seqs = redis.call('ZRANGE', KEYS[4], '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, tonumber(ARGV[1]))
if #seqs == 0 then return out end
local items = redis.call('HMGET', KEYS[3], unpack(seqs))
for i = 1, #items do out[i + 2] = items[i] end
return out
`)

// Items returns the newest limit public items of the log, oldest first.
func (l *Log) Items(ctx context.Context, eventID int64, limit int) ([]live.Item, error) {
	_, _, items, err := l.snapshot(ctx, eventID, limit)
	return items, err
}

// snapshot reads, in one atomic script, the epoch, the head and the newest
// limit public items (oldest first): a client that shows them and polls after
// head misses nothing.
func (l *Log) snapshot(ctx context.Context, eventID int64, limit int) (epoch string, head int64, items []live.Item, err error) {
	limit = max(limit, 0)
	k := l.keys(eventID)
	vals, err := snapshotScript.Exec(ctx, l.client, []string{k[0], k[1], k[4], k[5]}, []string{strconv.Itoa(limit), newEpoch()}).ToArray()
	if err == nil && len(vals) < 2 {
		err = fmt.Errorf("script returned %d values", len(vals))
	}
	if err == nil {
		if epoch, err = vals[0].ToString(); err == nil {
			head, err = vals[1].AsInt64()
		}
	}
	if err != nil {
		return "", 0, nil, fmt.Errorf("realtime: snapshot of event %d: %w", eventID, err)
	}
	items = make([]live.Item, 0, len(vals)-2)
	for i := len(vals) - 1; i >= 2; i-- {
		s, err := vals[i].ToString()
		if err != nil {
			continue // state missing: nothing to show
		}
		var it live.Item
		if err := json.Unmarshal([]byte(s), &it); err != nil {
			return "", 0, nil, fmt.Errorf("realtime: snapshot of event %d: %w", eventID, err)
		}
		items = append(items, it)
	}
	return epoch, head, items, nil
}

// Events returns the ids of the events that have a live log. It scans the
// keyspace of every node (a few keys per event), which is fine at the
// strainer's pace of one call every few seconds.
func (l *Log) Events(ctx context.Context) ([]int64, error) {
	prefix := l.ns + "live:{ev:"
	seen := map[int64]bool{}
	var out []int64
	for _, node := range l.client.Nodes() {
		var cursor uint64
		for {
			res, err := node.Do(ctx, node.B().Scan().Cursor(cursor).Match(prefix+"*}:seq").Count(1000).Build()).AsScanEntry()
			if err != nil {
				return nil, fmt.Errorf("realtime: list events: %w", err)
			}
			for _, key := range res.Elements {
				s := strings.TrimSuffix(strings.TrimPrefix(key, prefix), "}:seq")
				if id, err := strconv.ParseInt(s, 10, 64); err == nil && !seen[id] {
					seen[id] = true
					out = append(out, id)
				}
			}
			if res.Cursor == 0 {
				break
			}
			cursor = res.Cursor
		}
	}
	return out, nil
}
