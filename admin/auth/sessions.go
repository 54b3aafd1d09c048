package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/rueidis"
)

// A session exists only for a signed-in account: it is created at sign-in,
// never for an anonymous visitor (the sign-in form is protected by a signed
// token instead, csrf.go), so no request without a password costs Redis
// anything that stays.
//
// Keys (namespace+"admin:"):
//   - s:<id>, a hash per session, where id is the SHA-256 of the cookie's
//     token (a copy of Redis gives no usable cookie). It expires after the
//     idle timeout, renewed as the account uses it, never beyond the
//     absolute lifetime counted from sign-in.
//   - u:<user>:s, the set of an account's session ids, so it can list and
//     end them; it expires with the longest-lived of them.
type session struct {
	ID      string // hex SHA-256 of the token
	UserID  int64
	Cred    string // credentialVersion of the account at sign-in
	CSRF    string
	Created time.Time
	Seen    time.Time
	UA      string
	IP      string
	Flash   string
	// Enroll marks a session that signed in with a password only while
	// two-factor sign-in is required: it may only set up its second factor.
	Enroll bool
	// TOTPOffer is a second-factor secret offered for enrolment, not yet
	// confirmed with a code.
	TOTPOffer string
}

type sessionStore struct {
	client rueidis.Client
	prefix string // namespace+"admin:"
	idle   time.Duration
	max    time.Duration
	now    func() time.Time
}

// touchEvery bounds how often a request renews a session's idle timeout
// and last-seen time: at most one write a minute per session.
const touchEvery = time.Minute

func (st *sessionStore) key(id string) string { return st.prefix + "s:" + id }
func (st *sessionStore) userKey(uid int64) string {
	return st.prefix + "u:" + strconv.FormatInt(uid, 10) + ":s"
}
func sessionID(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}
func newToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
func validToken(t string, n int) bool {
	b, err := base64.RawURLEncoding.DecodeString(t)
	return err == nil && len(b) == n
}
func msOf(t time.Time) string    { return strconv.FormatInt(t.UnixMilli(), 10) }
func timeOf(ms string) time.Time { n, _ := strconv.ParseInt(ms, 10, 64); return time.UnixMilli(n) }
func boolOf(s string) bool       { return s == "1" }
func flag(b bool) string {
	if b {
		return "1"
	}
	return ""
}

// tokenBytes is the size of a session token: 256 bits from crypto/rand.
const tokenBytes = 32

// ttl is how long s may stay unused now: the idle timeout, cut at the
// absolute lifetime.
func (st *sessionStore) ttl(s *session) time.Duration {
	return min(st.idle, s.Created.Add(st.max).Sub(st.now()))
}

// Deadline is when s ends whatever happens: its absolute lifetime.
func (st *sessionStore) deadline(s *session) time.Time { return s.Created.Add(st.max) }

// create stores a new session for s.UserID and returns its token.
func (st *sessionStore) create(ctx context.Context, s *session) (string, error) {
	token := newToken(tokenBytes)
	s.ID = sessionID(token)
	now := st.now()
	if s.Created.IsZero() {
		s.Created = now
	}
	s.Seen = now
	if s.CSRF == "" {
		s.CSRF = newToken(32)
	}
	ttl := st.ttl(s)
	if ttl <= 0 {
		return "", fmt.Errorf("auth: session already past its lifetime")
	}
	c := st.client
	cmds := rueidis.Commands{
		c.B().Hset().Key(st.key(s.ID)).FieldValue().
			FieldValue("uid", strconv.FormatInt(s.UserID, 10)).FieldValue("cred", s.Cred).FieldValue("csrf", s.CSRF).
			FieldValue("created", msOf(s.Created)).FieldValue("seen", msOf(s.Seen)).FieldValue("ua", s.UA).
			FieldValue("ip", s.IP).FieldValue("flash", s.Flash).FieldValue("enroll", flag(s.Enroll)).
			FieldValue("totp_offer", s.TOTPOffer).Build(),
		c.B().Pexpire().Key(st.key(s.ID)).Milliseconds(ttl.Milliseconds()).Build(),
		c.B().Sadd().Key(st.userKey(s.UserID)).Member(s.ID).Build(),
		// The index outlives every session in it: extend it, never shorten.
		c.B().Pexpire().Key(st.userKey(s.UserID)).Milliseconds(st.max.Milliseconds()).Gt().Build(),
		c.B().Pexpire().Key(st.userKey(s.UserID)).Milliseconds(st.max.Milliseconds()).Nx().Build(),
	}
	for _, r := range c.DoMulti(ctx, cmds...) {
		if err := r.Error(); err != nil {
			return "", fmt.Errorf("auth: create session: %w", err)
		}
	}
	return token, nil
}

// load returns the session of token, or nil when there is none (unknown,
// expired, or past its absolute lifetime).
func (st *sessionStore) load(ctx context.Context, token string) (*session, error) {
	if !validToken(token, tokenBytes) {
		return nil, nil
	}
	s, err := st.get(ctx, sessionID(token))
	if err != nil || s == nil {
		return nil, err
	}
	// Redis expires an idle session by itself; the clock is checked too, so
	// neither a lagging expiry nor a key restored from a backup revives one.
	if now := st.now(); !now.Before(st.deadline(s)) || now.Sub(s.Seen) >= st.idle {
		return nil, st.destroy(ctx, s)
	}
	return s, nil
}

// get reads session id, or nil when it is gone.
func (st *sessionStore) get(ctx context.Context, id string) (*session, error) {
	m, err := st.client.Do(ctx, st.client.B().Hgetall().Key(st.key(id)).Build()).AsStrMap()
	if err != nil {
		return nil, fmt.Errorf("auth: read session: %w", err)
	}
	return sessionOf(id, m), nil
}

func sessionOf(id string, m map[string]string) *session {
	uid, _ := strconv.ParseInt(m["uid"], 10, 64)
	if uid == 0 {
		return nil
	}
	return &session{ID: id, UserID: uid, Cred: m["cred"], CSRF: m["csrf"], Created: timeOf(m["created"]),
		Seen: timeOf(m["seen"]), UA: m["ua"], IP: m["ip"], Flash: m["flash"], Enroll: boolOf(m["enroll"]),
		TOTPOffer: m["totp_offer"]}
}

// touch records that s was used now from ip, renewing its idle timeout (at
// most once per touchEvery, or at once when the address changed).
func (st *sessionStore) touch(ctx context.Context, s *session, ip string) error {
	now := st.now()
	if now.Sub(s.Seen) < touchEvery && ip == s.IP {
		return nil
	}
	s.Seen, s.IP = now, ip
	c := st.client
	for _, r := range c.DoMulti(ctx,
		c.B().Hset().Key(st.key(s.ID)).FieldValue().FieldValue("seen", msOf(now)).FieldValue("ip", ip).Build(),
		c.B().Pexpire().Key(st.key(s.ID)).Milliseconds(max(st.ttl(s).Milliseconds(), 1)).Build()) {
		if err := r.Error(); err != nil {
			return fmt.Errorf("auth: touch session: %w", err)
		}
	}
	return nil
}

// set writes some fields of s (name, value pairs); the session must exist:
// a write to one that expired meanwhile must not bring back a shell of it.
func (st *sessionStore) set(ctx context.Context, s *session, kv ...string) error {
	if len(kv)%2 != 0 || len(kv) == 0 {
		return fmt.Errorf("auth: session set: odd field list")
	}
	args := make([]string, 0, 2+len(kv))
	args = append(args, strconv.Itoa(len(kv)/2))
	args = append(args, kv...)
	if err := setIfExists.Exec(ctx, st.client, []string{st.key(s.ID)}, args).Error(); err != nil {
		return fmt.Errorf("auth: write session: %w", err)
	}
	return nil
}

// setIfExists is HSET on a hash that exists only.
var setIfExists = rueidis.NewLuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = tonumber(ARGV[1])
for i = 0, n - 1 do redis.call('HSET', KEYS[1], ARGV[2 + 2*i], ARGV[3 + 2*i]) end
return 1
`)

// destroy ends s.
func (st *sessionStore) destroy(ctx context.Context, s *session) error {
	c := st.client
	for _, r := range c.DoMulti(ctx, c.B().Del().Key(st.key(s.ID)).Build(),
		c.B().Srem().Key(st.userKey(s.UserID)).Member(s.ID).Build()) {
		if err := r.Error(); err != nil {
			return fmt.Errorf("auth: end session: %w", err)
		}
	}
	return nil
}

// list returns the live sessions of an account, newest first, and drops
// the ids of expired ones from its index.
func (st *sessionStore) list(ctx context.Context, uid int64) ([]*session, error) {
	c := st.client
	ids, err := c.Do(ctx, c.B().Smembers().Key(st.userKey(uid)).Build()).AsStrSlice()
	if err != nil {
		return nil, fmt.Errorf("auth: list sessions: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	cmds := make(rueidis.Commands, len(ids))
	for i, id := range ids {
		cmds[i] = c.B().Hgetall().Key(st.key(id)).Build()
	}
	var out []*session
	var gone []string
	for i, r := range c.DoMulti(ctx, cmds...) {
		m, err := r.AsStrMap()
		if err != nil {
			return nil, fmt.Errorf("auth: list sessions: %w", err)
		}
		s := sessionOf(ids[i], m)
		if s == nil || s.UserID != uid || !st.now().Before(st.deadline(s)) {
			gone = append(gone, ids[i])
			continue
		}
		out = append(out, s)
	}
	if len(gone) > 0 {
		if err := c.Do(ctx, c.B().Srem().Key(st.userKey(uid)).Member(gone...).Build()).Error(); err != nil {
			return nil, fmt.Errorf("auth: prune sessions: %w", err)
		}
	}
	slices.SortFunc(out, func(a, b *session) int { return b.Created.Compare(a.Created) })
	return out, nil
}

// endAll ends every session of an account but keep (its id; "" for none)
// and returns how many it ended.
func (st *sessionStore) endAll(ctx context.Context, uid int64, keep string) (int, error) {
	all, err := st.list(ctx, uid)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range all {
		if s.ID == keep {
			continue
		}
		if err := st.destroy(ctx, s); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// rotate gives s a new token (and id), keeping what it holds, and ends
// the old one: done at every change of the account's credentials.
func (st *sessionStore) rotate(ctx context.Context, s *session) (string, error) {
	old := *s
	token, err := st.create(ctx, s)
	if err != nil {
		return "", err
	}
	return token, st.destroy(ctx, &old)
}
