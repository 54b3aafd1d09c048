package realtime

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/live"
)

// The audience's part of the live log: questions, votes, question states
// and reaction counts. Their scripts live beside appendScript and follow its
// rules: they take the event's seq, epoch and log keys, assign the next seq
// themselves (the append path is these scripts and appendScript, nothing
// else), XADD before any other write, and publish exactly the bytes they
// store. Every key carries the event's hash tag {ev:<id>}, so the scripts
// stay atomic on a Redis Cluster: a vote's dedupe per (question, client),
// its new count and its entry are one step, so a vote is never counted
// twice nor lost between count and entry, whatever process dies when.
//
// Keys, after the event's prefix (namespace + "live:{ev:<id>}:"):
//
//	q            hash  question id → its fixed JSON fields ("session", "text", "name", "created_at")
//	qstate       hash  question id → state
//	qvotes       hash  question id → votes
//	qsess        hash  question id → session slug
//	qmerged      hash  question id → the question it was merged into
//	qask         hash  digest of (client, session, text) → question id (a retried ask)
//	qanswering   hash  session slug → the question being answered
//	qlist:<slug> set   the session's question ids
//	qv:<id>      set   the voters of a question (digests of client ids)
//	rtot         hash  "<slug>|<minute>|<kind>" → reactions so far
//	rdirty       set   "<slug>|<minute>" with reactions not yet in the log
//	readers:<minute> hash node → the most readers it held in that minute
//
// A votes entry's private part (the voter and +1 or -1) is kept as a second
// field "v" of its stream record, beside the entry "e": Range returns it in
// Entry.Voter and Entry.Delta for the strainer, and the hubs, which deliver
// "e" and the published bytes only, never see it.

// Errors of the audience scripts.
var (
	// ErrNoQuestion: the question is unknown, in another session, or not
	// public (held or hidden) where a public one is needed.
	ErrNoQuestion = errors.New("realtime: no such question")
	// ErrBadMerge: a question cannot be merged into itself, into one of
	// another session, or into one that is not public.
	ErrBadMerge = errors.New("realtime: these questions cannot be merged")
)

// audienceKeys are the keys of one event's audience state.
type audienceKeys struct{ p string }

func (l *Log) audience(eventID int64) audienceKeys {
	return audienceKeys{p: l.ns + "live:{ev:" + strconv.FormatInt(eventID, 10) + "}:"}
}

func (k audienceKeys) key(name string) string { return k.p + name }
func (k audienceKeys) list(session string) string {
	return k.p + "qlist:" + session
}
func (k audienceKeys) voters(id int64) string { return k.p + "qv:" + strconv.FormatInt(id, 10) }

// VoterID is the digest of a client id that the log and Postgres keep for a
// vote: one per browser, never the cookie itself.
func VoterID(client string) string {
	sum := sha256.Sum256([]byte("backchannel voter\x00" + client))
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// Lua helpers shared by the audience scripts. K is a table of the keys by
// name; every script passes seq, epoch and log first.
const luaAudience = `
local function epoch(K, cand)
  local ep = redis.call('GET', K.epoch)
  if not ep then ep = cand; redis.call('SET', K.epoch, ep) end
  return ep
end
local function append(K, ep, ch, entry, private)
  local s = tostring(tonumber(redis.call('GET', K.seq) or '0') + 1)
  local full = '{"seq":' .. s .. ',' .. entry
  if private then
    redis.call('XADD', K.log, s .. '-0', 'e', full, 'v', private)
  else
    redis.call('XADD', K.log, s .. '-0', 'e', full)
  end
  redis.call('SET', K.seq, s)
  redis.call('PUBLISH', ch, ep .. ' ' .. full)
  return tonumber(s)
end
local function qjson(K, id)
  local st = redis.call('HGET', K.qstate, id)
  local sess = redis.call('HGET', K.qsess, id)
  if st == 'hidden' then
    local m = redis.call('HGET', K.qmerged, id)
    local out = '{"id":' .. id .. ',"session":"' .. sess .. '","state":"hidden"'
    if m then out = out .. ',"merged_into":' .. m end
    return out .. '}'
  end
  return '{"id":' .. id .. ',' .. redis.call('HGET', K.q, id) .. ',"votes":' ..
    (redis.call('HGET', K.qvotes, id) or '0') .. ',"state":"' .. st .. '"}'
end
local function state_entry(K, id)
  return '"op":"qa_state","session":"' .. redis.call('HGET', K.qsess, id) .. '","target":' .. id ..
    ',"question":' .. qjson(K, id) .. '}'
end
`

// askScript appends a question. KEYS: seq, epoch, log, q, qstate, qvotes,
// qsess, qmerged, qask, qlist:<slug>. ARGV: dedupe key, session, fixed JSON
// fields, state, channel, epoch candidate. Returns {id, epoch, duplicate}.
var askScript = rueidis.NewLuaScript(luaAudience + `
local K = {seq=KEYS[1], epoch=KEYS[2], log=KEYS[3], q=KEYS[4], qstate=KEYS[5], qvotes=KEYS[6],
  qsess=KEYS[7], qmerged=KEYS[8]}
local ep = epoch(K, ARGV[6])
local old = redis.call('HGET', KEYS[9], ARGV[1])
if old then return {tonumber(old), ep, 1} end
local s = tostring(tonumber(redis.call('GET', K.seq) or '0') + 1)
local entry = '"op":"question","session":"' .. ARGV[2] .. '","question":{"id":' .. s .. ',' .. ARGV[3] ..
  ',"votes":0,"state":"' .. ARGV[4] .. '"}}'
local id = append(K, ep, ARGV[5], entry, nil)
redis.call('HSET', K.q, s, ARGV[3])
redis.call('HSET', K.qstate, s, ARGV[4])
redis.call('HSET', K.qvotes, s, 0)
redis.call('HSET', K.qsess, s, ARGV[2])
redis.call('SADD', KEYS[10], s)
redis.call('HSET', KEYS[9], ARGV[1], s)
return {id, ep, 0}
`)

// voteScript adds (ARGV delta "1") or takes back ("-1") a client's vote.
// KEYS: seq, epoch, log, qstate, qvotes, qsess, qv:<id>. ARGV: question id,
// session, voter, delta, channel, epoch candidate. Returns {seq (0 when
// nothing changed), epoch, votes}.
var voteScript = rueidis.NewLuaScript(luaAudience + `
local K = {seq=KEYS[1], epoch=KEYS[2], log=KEYS[3], qstate=KEYS[4], qvotes=KEYS[5], qsess=KEYS[6]}
local id = ARGV[1]
local st = redis.call('HGET', K.qstate, id)
if (not st) or st == 'held' or st == 'hidden' or redis.call('HGET', K.qsess, id) ~= ARGV[2] then
  return redis.error_reply('NOQUESTION no question ' .. id .. ' in this session')
end
local ep = epoch(K, ARGV[6])
local votes = tonumber(redis.call('HGET', K.qvotes, id) or '0')
local member = redis.call('SISMEMBER', KEYS[7], ARGV[3])
if (ARGV[4] == '1' and member == 1) or (ARGV[4] ~= '1' and member == 0) then
  return {0, ep, votes}
end
votes = votes + tonumber(ARGV[4])
local s = append(K, ep, ARGV[5], '"op":"votes","session":"' .. ARGV[2] .. '","target":' .. id ..
  ',"votes":' .. votes .. '}', ARGV[4] .. ' ' .. ARGV[3])
if ARGV[4] == '1' then redis.call('SADD', KEYS[7], ARGV[3]) else redis.call('SREM', KEYS[7], ARGV[3]) end
redis.call('HSET', K.qvotes, id, votes)
return {s, ep, votes}
`)

// stateScript sets a question's state and appends a qa_state entry; a
// question marked answering takes the place of the session's previous one,
// which becomes answered (its own entry first). KEYS: seq, epoch, log, q,
// qstate, qvotes, qsess, qmerged, qanswering. ARGV: question id, state,
// channel, epoch candidate. Returns {last seq (0: no change), epoch}.
var stateScript = rueidis.NewLuaScript(luaAudience + `
local K = {seq=KEYS[1], epoch=KEYS[2], log=KEYS[3], q=KEYS[4], qstate=KEYS[5], qvotes=KEYS[6],
  qsess=KEYS[7], qmerged=KEYS[8], qanswering=KEYS[9]}
local id, new = ARGV[1], ARGV[2]
local st = redis.call('HGET', K.qstate, id)
if not st then return redis.error_reply('NOQUESTION no question ' .. id) end
local ep = epoch(K, ARGV[4])
if st == new or (st == 'hidden' and redis.call('HEXISTS', K.qmerged, id) == 1) then return {0, ep} end
local sess = redis.call('HGET', K.qsess, id)
local last = 0
if new == 'answering' then
  local prev = redis.call('HGET', K.qanswering, sess)
  if prev and prev ~= id and redis.call('HGET', K.qstate, prev) == 'answering' then
    redis.call('HSET', K.qstate, prev, 'answered')
    last = append(K, ep, ARGV[3], state_entry(K, prev), nil)
  end
  redis.call('HSET', K.qanswering, sess, id)
elseif st == 'answering' and redis.call('HGET', K.qanswering, sess) == id then
  redis.call('HDEL', K.qanswering, sess)
end
redis.call('HSET', K.qstate, id, new)
last = append(K, ep, ARGV[3], state_entry(K, id), nil)
return {last, ep}
`)

// mergeScript merges a duplicate into a target of the same session: the
// target's voters become the union (each voter once), the duplicate is
// hidden with merged_into. Two entries: the duplicate's qa_state, then the
// target's votes. KEYS: seq, epoch, log, q, qstate, qvotes, qsess, qmerged,
// qanswering, qv:<dup>, qv:<target>. ARGV: dup, target, channel, epoch
// candidate. Returns {last seq (0: merged already), epoch, votes}.
var mergeScript = rueidis.NewLuaScript(luaAudience + `
local K = {seq=KEYS[1], epoch=KEYS[2], log=KEYS[3], q=KEYS[4], qstate=KEYS[5], qvotes=KEYS[6],
  qsess=KEYS[7], qmerged=KEYS[8], qanswering=KEYS[9]}
local dup, target = ARGV[1], ARGV[2]
local ds = redis.call('HGET', K.qstate, dup)
local ts = redis.call('HGET', K.qstate, target)
if (not ds) or (not ts) then return redis.error_reply('NOQUESTION no question ' .. dup .. ' or ' .. target) end
local ep = epoch(K, ARGV[4])
if redis.call('HGET', K.qmerged, dup) == target then
  return {0, ep, tonumber(redis.call('HGET', K.qvotes, target) or '0')}
end
local sess = redis.call('HGET', K.qsess, dup)
if dup == target or sess ~= redis.call('HGET', K.qsess, target) or ts == 'held' or ts == 'hidden'
  or redis.call('HEXISTS', K.qmerged, dup) == 1 then
  return redis.error_reply('BADMERGE cannot merge ' .. dup .. ' into ' .. target)
end
redis.call('HSET', K.qstate, dup, 'hidden')
redis.call('HSET', K.qmerged, dup, target)
if ds == 'answering' and redis.call('HGET', K.qanswering, sess) == dup then
  redis.call('HDEL', K.qanswering, sess)
end
append(K, ep, ARGV[3], state_entry(K, dup), nil)
redis.call('SUNIONSTORE', KEYS[11], KEYS[11], KEYS[10])
local votes = redis.call('SCARD', KEYS[11])
redis.call('HSET', K.qvotes, target, votes)
local s = append(K, ep, ARGV[3], '"op":"votes","session":"' .. sess .. '","target":' .. target ..
  ',"votes":' .. votes .. '}', nil)
return {s, ep, votes}
`)

// questionsScript reads a session's questions with the log position they
// reflect. KEYS: seq, epoch, q, qstate, qvotes, qmerged, qlist:<slug>.
// ARGV: epoch candidate. Returns {epoch, head, then per question: id,
// fixed fields, state, votes, merged_into or ""}.
var questionsScript = rueidis.NewLuaScript(`
local ep = redis.call('GET', KEYS[2])
if not ep then ep = ARGV[1]; redis.call('SET', KEYS[2], ep) end
local out = {ep, tonumber(redis.call('GET', KEYS[1]) or '0')}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[7])) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', KEYS[3], id) or ''
  out[#out + 1] = redis.call('HGET', KEYS[4], id) or 'hidden'
  out[#out + 1] = redis.call('HGET', KEYS[5], id) or '0'
  out[#out + 1] = redis.call('HGET', KEYS[6], id) or ''
end
return out
`)

// reactScript counts one reaction: its minute's total and a mark that the
// total is not in the log yet. KEYS: rtot, rdirty. ARGV: "<slug>|<minute>|<kind>",
// "<slug>|<minute>".
var reactScript = rueidis.NewLuaScript(`
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('SADD', KEYS[2], ARGV[2])
return 1
`)

// flushScript appends one reactions entry per marked (session, minute) with
// the minute's totals so far, and clears the marks, in one step: counted
// reactions reach the log exactly once each, as part of a total. KEYS: seq,
// epoch, log, rtot, rdirty. ARGV: channel, epoch candidate, how many marks
// at most, then the kinds. Returns the number of entries appended.
var flushScript = rueidis.NewLuaScript(luaAudience + `
local K = {seq=KEYS[1], epoch=KEYS[2], log=KEYS[3]}
local marks = redis.call('SPOP', KEYS[5], tonumber(ARGV[3]))
if #marks == 0 then return 0 end
table.sort(marks)
local ep = epoch(K, ARGV[2])
for _, m in ipairs(marks) do
  local sep = string.find(m, '|', 1, true)
  local sess, minute = string.sub(m, 1, sep - 1), string.sub(m, sep + 1)
  local counts = {}
  for i = 4, #ARGV do
    local n = redis.call('HGET', KEYS[4], m .. '|' .. ARGV[i])
    if n then counts[#counts + 1] = '"' .. ARGV[i] .. '":' .. n end
  end
  append(K, ep, ARGV[1], '"op":"reactions","session":"' .. sess .. '","minute":"' .. minute ..
    '","counts":{' .. table.concat(counts, ',') .. '}}', nil)
end
return #marks
`)

// runAudience runs an audience script and maps its domain errors.
func (l *Log) runAudience(ctx context.Context, s *rueidis.Lua, keys, args []string) ([]rueidis.RedisMessage, error) {
	vals, err := s.Exec(ctx, l.client, keys, args).ToArray()
	if err != nil {
		if re, ok := rueidis.IsRedisErr(err); ok {
			switch {
			case strings.HasPrefix(re.Error(), "NOQUESTION"):
				return nil, ErrNoQuestion
			case strings.HasPrefix(re.Error(), "BADMERGE"):
				return nil, ErrBadMerge
			}
		}
		return nil, err
	}
	return vals, nil
}

func (l *Log) counted(n int) {
	if l.metrics != nil && n > 0 {
		l.metrics.Appended.Add(float64(n))
	}
}

// NewQuestion is a question to ask, validated (see ValidateQuestion).
type NewQuestion struct {
	Session string
	Text    string
	Name    string // "" for anonymous
	Held    bool   // the event's qa is moderated
	// Client is the asking browser's id: the same client asking the same
	// text in the same session again gets the first question back.
	Client string
	Now    time.Time
}

// fixedFields are the question's JSON fields that never change, as the
// scripts splice them: "session", "text", "name" and "created_at".
func (q NewQuestion) fixedFields() (string, error) {
	var name *string
	if q.Name != "" {
		name = &q.Name
	}
	b, err := json.Marshal(struct {
		Session   string    `json:"session"`
		Text      string    `json:"text"`
		Name      *string   `json:"name"`
		CreatedAt time.Time `json:"created_at"`
	}{q.Session, q.Text, name, q.Now.UTC()})
	if err != nil {
		return "", err
	}
	return string(b[1 : len(b)-1]), nil
}

// AskResult is where a question landed.
type AskResult struct {
	Question  live.Question
	Epoch     string
	Duplicate bool
}

// Ask appends a question entry to the event's log (its id is the entry's
// seq). A repeat of the same client's same text in the same session returns
// the first question as it stands now, with Duplicate set.
func (l *Log) Ask(ctx context.Context, eventID int64, q NewQuestion) (AskResult, error) {
	fixed, err := q.fixedFields()
	if err != nil {
		return AskResult{}, fmt.Errorf("realtime: ask in event %d: encode: %w", eventID, err)
	}
	state := live.QuestionOpen
	if q.Held {
		state = live.QuestionHeld
	}
	sum := sha256.Sum256([]byte(q.Client + "\x00" + q.Session + "\x00" + q.Text))
	k := l.audience(eventID)
	vals, err := l.runAudience(ctx, askScript,
		[]string{k.key("seq"), k.key("epoch"), k.key("log"), k.key("q"), k.key("qstate"), k.key("qvotes"),
			k.key("qsess"), k.key("qmerged"), k.key("qask"), k.list(q.Session)},
		[]string{base64.RawURLEncoding.EncodeToString(sum[:16]), q.Session, fixed, state, l.channel(eventID), newEpoch()})
	if err != nil {
		return AskResult{}, fmt.Errorf("realtime: ask in event %d: %w", eventID, err)
	}
	if len(vals) != 3 {
		return AskResult{}, fmt.Errorf("realtime: ask in event %d: script returned %d values", eventID, len(vals))
	}
	id, _ := vals[0].AsInt64()
	ep, _ := vals[1].ToString()
	dup, _ := vals[2].AsInt64()
	res := AskResult{Epoch: ep, Duplicate: dup == 1}
	if !res.Duplicate {
		l.counted(1)
		var name *string
		if q.Name != "" {
			name = &q.Name
		}
		res.Question = live.Question{ID: id, Session: q.Session, Text: q.Text, Name: name, State: state, CreatedAt: q.Now.UTC()}
		return res, nil
	}
	qs, err := l.questionsByID(ctx, eventID, q.Session, id)
	if err != nil {
		return AskResult{}, err
	}
	res.Question = qs
	return res, nil
}

// VoteResult is a question's count after a vote or its withdrawal; Seq is
// the votes entry appended, 0 when the client's vote was already as asked.
type VoteResult struct {
	Votes int64
	Seq   int64
}

// Vote records client's vote for question id of session (up true) or takes
// it back (up false): one vote per client per question, so repeating either
// changes nothing. ErrNoQuestion when the question is unknown, of another
// session, held or hidden.
func (l *Log) Vote(ctx context.Context, eventID int64, session string, id int64, voter string, up bool) (VoteResult, error) {
	k := l.audience(eventID)
	delta := "-1"
	if up {
		delta = "1"
	}
	vals, err := l.runAudience(ctx, voteScript,
		[]string{k.key("seq"), k.key("epoch"), k.key("log"), k.key("qstate"), k.key("qvotes"), k.key("qsess"), k.voters(id)},
		[]string{strconv.FormatInt(id, 10), session, voter, delta, l.channel(eventID), newEpoch()})
	if err != nil {
		return VoteResult{}, fmt.Errorf("realtime: vote for question %d of event %d: %w", id, eventID, err)
	}
	if len(vals) != 3 {
		return VoteResult{}, fmt.Errorf("realtime: vote: script returned %d values", len(vals))
	}
	var r VoteResult
	r.Seq, _ = vals[0].AsInt64()
	r.Votes, _ = vals[2].AsInt64()
	if r.Seq > 0 {
		l.counted(1)
	}
	return r, nil
}

// SetQuestionState sets a question's state (open, answering, answered or
// hidden) and appends its qa_state entry; marking one answering marks the
// session's previous one answered. It returns the last seq appended (0 when
// the state was already so). A merged question stays merged.
func (l *Log) SetQuestionState(ctx context.Context, eventID, id int64, state string) (int64, error) {
	switch state {
	case live.QuestionOpen, live.QuestionAnswering, live.QuestionAnswered, live.QuestionHidden:
	default:
		return 0, fmt.Errorf("realtime: question state %q cannot be set", state)
	}
	k := l.audience(eventID)
	vals, err := l.runAudience(ctx, stateScript,
		[]string{k.key("seq"), k.key("epoch"), k.key("log"), k.key("q"), k.key("qstate"), k.key("qvotes"),
			k.key("qsess"), k.key("qmerged"), k.key("qanswering")},
		[]string{strconv.FormatInt(id, 10), state, l.channel(eventID), newEpoch()})
	if err != nil {
		return 0, fmt.Errorf("realtime: set question %d of event %d %s: %w", id, eventID, state, err)
	}
	seq, _ := vals[0].AsInt64()
	if seq > 0 {
		l.counted(1)
	}
	return seq, nil
}

// MergeQuestion merges question dup into target (same session, target
// public): target's votes become its voters and dup's, each counted once,
// and dup is hidden with merged_into. It returns target's new count.
func (l *Log) MergeQuestion(ctx context.Context, eventID, dup, target int64) (int64, error) {
	k := l.audience(eventID)
	vals, err := l.runAudience(ctx, mergeScript,
		[]string{k.key("seq"), k.key("epoch"), k.key("log"), k.key("q"), k.key("qstate"), k.key("qvotes"),
			k.key("qsess"), k.key("qmerged"), k.key("qanswering"), k.voters(dup), k.voters(target)},
		[]string{strconv.FormatInt(dup, 10), strconv.FormatInt(target, 10), l.channel(eventID), newEpoch()})
	if err != nil {
		return 0, fmt.Errorf("realtime: merge question %d into %d of event %d: %w", dup, target, eventID, err)
	}
	seq, _ := vals[0].AsInt64()
	votes, _ := vals[2].AsInt64()
	if seq > 0 {
		l.counted(2)
	}
	return votes, nil
}

// QuestionList is a session's questions with the log position they
// reflect: a page shows Questions and follows the log after Head.
type QuestionList struct {
	Questions []live.Question
	Epoch     string
	Head      int64
}

// Questions returns every question of a session in any state (callers
// filter), in id order, with the log's epoch and head, read atomically.
func (l *Log) Questions(ctx context.Context, eventID int64, session string) (QuestionList, error) {
	k := l.audience(eventID)
	vals, err := l.runAudience(ctx, questionsScript,
		[]string{k.key("seq"), k.key("epoch"), k.key("q"), k.key("qstate"), k.key("qvotes"), k.key("qmerged"), k.list(session)},
		[]string{newEpoch()})
	if err != nil {
		return QuestionList{}, fmt.Errorf("realtime: questions of session %q of event %d: %w", session, eventID, err)
	}
	if len(vals) < 2 || (len(vals)-2)%5 != 0 {
		return QuestionList{}, fmt.Errorf("realtime: questions: script returned %d values", len(vals))
	}
	var out QuestionList
	out.Epoch, _ = vals[0].ToString()
	out.Head, _ = vals[1].AsInt64()
	for i := 2; i < len(vals); i += 5 {
		var f [5]string
		for j := range f {
			f[j], _ = vals[i+j].ToString()
		}
		q, err := parseQuestion(f)
		if err != nil {
			return QuestionList{}, fmt.Errorf("realtime: questions of event %d: %w", eventID, err)
		}
		out.Questions = append(out.Questions, q)
	}
	slices.SortFunc(out.Questions, func(a, b live.Question) int { return int(a.ID - b.ID) })
	return out, nil
}

// questionsByID returns one question of a session as it stands.
func (l *Log) questionsByID(ctx context.Context, eventID int64, session string, id int64) (live.Question, error) {
	list, err := l.Questions(ctx, eventID, session)
	if err != nil {
		return live.Question{}, err
	}
	for _, q := range list.Questions {
		if q.ID == id {
			return q, nil
		}
	}
	return live.Question{}, ErrNoQuestion
}

// Question returns one question of the event in its current state, its
// session found by the log; ErrNoQuestion when the log does not know it.
func (l *Log) Question(ctx context.Context, eventID, id int64) (live.Question, error) {
	k := l.audience(eventID)
	sess, err := l.client.Do(ctx, l.client.B().Hget().Key(k.key("qsess")).Field(strconv.FormatInt(id, 10)).Build()).ToString()
	if rueidis.IsRedisNil(err) {
		return live.Question{}, ErrNoQuestion
	}
	if err != nil {
		return live.Question{}, fmt.Errorf("realtime: question %d of event %d: %w", id, eventID, err)
	}
	return l.questionsByID(ctx, eventID, sess, id)
}

// parseQuestion builds a question from the script's five strings.
func parseQuestion(f [5]string) (live.Question, error) {
	id, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return live.Question{}, fmt.Errorf("bad question id %q", f[0])
	}
	q := live.Question{ID: id, State: f[2]}
	if f[1] != "" {
		if err := json.Unmarshal([]byte("{"+f[1]+"}"), &q); err != nil {
			return live.Question{}, fmt.Errorf("question %d: %w", id, err)
		}
	}
	q.ID, q.State = id, f[2]
	q.Votes, _ = strconv.ParseInt(f[3], 10, 64)
	if f[4] != "" {
		q.MergedInto, _ = strconv.ParseInt(f[4], 10, 64)
	}
	return q, nil
}

// Voted reports which of ids the voter has voted for (one round trip).
func (l *Log) Voted(ctx context.Context, eventID int64, voter string, ids []int64) (map[int64]bool, error) {
	out := make(map[int64]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	k := l.audience(eventID)
	cmds := make(rueidis.Commands, len(ids))
	for i, id := range ids {
		cmds[i] = l.client.B().Sismember().Key(k.voters(id)).Member(voter).Build()
	}
	for i, r := range l.client.DoMulti(ctx, cmds...) {
		n, err := r.AsInt64()
		if err != nil {
			return nil, fmt.Errorf("realtime: votes of a client in event %d: %w", eventID, err)
		}
		out[ids[i]] = n == 1
	}
	return out, nil
}

// React counts one reaction of kind to a session in minute (UTC, truncated
// by the caller's clock): the total is kept in Redis at once, and a
// reactions entry with the minute's totals follows when the reactions are
// flushed (FlushReactions, about once a second).
func (l *Log) React(ctx context.Context, eventID int64, session, kind string, at time.Time) error {
	minute := at.UTC().Truncate(time.Minute).Format(live.MinuteFormat)
	k := l.audience(eventID)
	mark := session + "|" + minute
	err := reactScript.Exec(ctx, l.client, []string{k.key("rtot"), k.key("rdirty")}, []string{mark + "|" + kind, mark}).Error()
	if err != nil {
		return fmt.Errorf("realtime: reaction to session %q of event %d: %w", session, eventID, err)
	}
	return nil
}

// flushBatch bounds the entries one flush appends (the rest wait a round).
const flushBatch = 200

// FlushReactions appends a reactions entry for every (session, minute) of
// the event counted since the last flush, and returns how many it appended.
// Any process may call it any time: the marks are taken in the same script
// that appends, so a total reaches the log once per flush that saw it.
func (l *Log) FlushReactions(ctx context.Context, eventID int64) (int, error) {
	k := l.audience(eventID)
	args := append([]string{l.channel(eventID), newEpoch(), strconv.Itoa(flushBatch)}, live.ReactionKinds...)
	n, err := flushScript.Exec(ctx, l.client, []string{k.key("seq"), k.key("epoch"), k.key("log"), k.key("rtot"), k.key("rdirty")}, args).AsInt64()
	if err != nil {
		return 0, fmt.Errorf("realtime: flush reactions of event %d: %w", eventID, err)
	}
	l.counted(int(n))
	return int(n), nil
}

// parsePrivate fills a votes entry's private part from its "v" field.
func parsePrivate(e *live.Entry, v string) {
	delta, voter, ok := strings.Cut(v, " ")
	if !ok {
		return
	}
	e.Voter = voter
	if delta == "1" {
		e.Delta = 1
	} else {
		e.Delta = -1
	}
}

// ReactionTotals returns a session's reaction totals for each of minutes
// (UTC, live.MinuteFormat) that had any, by kind, in one round trip: what
// a page shows before the reactions entries that follow its head.
func (l *Log) ReactionTotals(ctx context.Context, eventID int64, session string, minutes []string) (map[string]map[string]int64, error) {
	out := map[string]map[string]int64{}
	if len(minutes) == 0 {
		return out, nil
	}
	fields := make([]string, 0, len(minutes)*len(live.ReactionKinds))
	for _, m := range minutes {
		for _, kind := range live.ReactionKinds {
			fields = append(fields, session+"|"+m+"|"+kind)
		}
	}
	vals, err := l.client.Do(ctx, l.client.B().Hmget().Key(l.audience(eventID).key("rtot")).Field(fields...).Build()).ToArray()
	if err != nil {
		return nil, fmt.Errorf("realtime: reaction totals of session %q of event %d: %w", session, eventID, err)
	}
	for i, v := range vals {
		n, err := v.AsInt64()
		if err != nil || n == 0 { // nil: none that minute
			continue
		}
		m, kind := minutes[i/len(live.ReactionKinds)], live.ReactionKinds[i%len(live.ReactionKinds)]
		if out[m] == nil {
			out[m] = map[string]int64{}
		}
		out[m][kind] = n
	}
	return out, nil
}
