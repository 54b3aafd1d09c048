package auth

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"
)

// Login throttling limits: sign-in attempts allowed per account and per
// address in one window, a successful one given back. The address limit is
// higher because a venue shares one NAT.
const (
	LoginAccountLimit = 5
	LoginAddressLimit = 20
	LoginWindow       = 15 * time.Minute
)

// throttle counts sign-in attempts in Redis so the limits hold across nodes.
// Each attempt is counted before its password is checked, in the same
// script that checks the limit: a burst of concurrent attempts cannot all
// pass the check while the slow password hashes run. Each key is counted
// on its own (one key per script), so the keys need no common slot on a
// Redis Cluster.
type throttle struct {
	client rueidis.Client
	prefix string
}

// takeAttempt counts one attempt against KEYS[1] (limit ARGV[1] per window
// of ARGV[2] ms) and returns 0 when it is within the limit, else the
// milliseconds until the window ends.
var takeAttempt = rueidis.NewLuaScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n <= tonumber(ARGV[1]) then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return ttl
`)

// giveBack uncounts one attempt of KEYS[1], never below zero.
var giveBack = rueidis.NewLuaScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then redis.call('DECR', KEYS[1]) end
return 0
`)

func (t *throttle) accountKey(email string) string {
	return t.prefix + "acct:" + strings.ToLower(strings.TrimSpace(email))
}
func (t *throttle) addressKey(ip string) string { return t.prefix + "addr:" + ip }

// attempt counts a sign-in attempt from ip for email and returns how long
// the caller must wait instead, or 0 when the password may be checked. An
// address over its limit does not count against the account, so a blocked
// address cannot lock out the account it is guessing at.
func (t *throttle) attempt(ctx context.Context, email, ip string) (time.Duration, error) {
	window := strconv.FormatInt(LoginWindow.Milliseconds(), 10)
	for _, k := range []struct {
		key   string
		limit int
	}{{t.addressKey(ip), LoginAddressLimit}, {t.accountKey(email), LoginAccountLimit}} {
		ms, err := takeAttempt.Exec(ctx, t.client, []string{k.key}, []string{strconv.Itoa(k.limit), window}).AsInt64()
		if err != nil {
			return 0, fmt.Errorf("auth: login throttle: %w", err)
		}
		if ms > 0 {
			return time.Duration(ms) * time.Millisecond, nil
		}
	}
	return 0, nil
}

// succeeded clears the account's attempts and gives the address back this
// one (so admins signing in from a venue's NAT do not use up its limit).
func (t *throttle) succeeded(ctx context.Context, email, ip string) error {
	if err := t.client.Do(ctx, t.client.B().Del().Key(t.accountKey(email)).Build()).Error(); err != nil {
		return fmt.Errorf("auth: login throttle: %w", err)
	}
	if err := giveBack.Exec(ctx, t.client, []string{t.addressKey(ip)}, nil).Error(); err != nil {
		return fmt.Errorf("auth: login throttle: %w", err)
	}
	return nil
}
