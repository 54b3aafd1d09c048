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
// higher because a venue shares one NAT. A browser with a device cookie for
// the account (device.go) has its own allowance instead of both; second
// factor codes have theirs per account (reaching that step takes the
// password already).
const (
	LoginAccountLimit      = 5
	LoginAddressLimit      = 20
	LoginDeviceLimit       = 10
	SecondFactorLimit      = 5
	LoginWindow            = 15 * time.Minute
	securityLogAddressRate = 100 // anonymous security-log lines per address per hour
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
func (t *throttle) addressKey(ip string) string   { return t.prefix + "addr:" + ip }
func (t *throttle) deviceKey(nonce string) string { return t.prefix + "dev:" + nonce }
func (t *throttle) factorKey(uid int64) string    { return t.prefix + "2fa:" + strconv.FormatInt(uid, 10) }
func (t *throttle) logKey(ip string) string       { return t.prefix + "seclog:" + ip }

// take counts one attempt against key and returns how long until it may
// try again (0: within the limit).
func (t *throttle) take(ctx context.Context, key string, limit int, window time.Duration) (time.Duration, error) {
	ms, err := takeAttempt.Exec(ctx, t.client, []string{key},
		[]string{strconv.Itoa(limit), strconv.FormatInt(window.Milliseconds(), 10)}).AsInt64()
	if err != nil {
		return 0, fmt.Errorf("auth: throttle: %w", err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// attempt counts a sign-in attempt from ip for email and returns how long
// the caller must wait instead, or 0 when the password may be checked. An
// address over its limit does not count against the account, so a blocked
// address cannot lock out the account it is guessing at. device is the
// nonce of a valid device cookie for email ("" for none): within its own
// allowance it skips both other limits, so neither guesses at the account
// from elsewhere nor a flood from a shared address keep the owner out.
func (t *throttle) attempt(ctx context.Context, email, ip, device string) (time.Duration, error) {
	if device != "" {
		wait, err := t.take(ctx, t.deviceKey(device), LoginDeviceLimit, LoginWindow)
		if err != nil || wait == 0 {
			return wait, err
		}
		// This device failed too often itself: it is an unknown client now.
	}
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

// succeeded clears the account's attempts (the device's, for a known
// device) and gives the address back this one (so admins signing in from a venue's NAT do not use
// up its limit).
func (t *throttle) succeeded(ctx context.Context, email, ip, device string, uid int64) error {
	// A known device clears only its own count: the account stays locked
	// for unknown clients while someone guesses at it.
	keys := []string{t.accountKey(email), t.factorKey(uid)}
	if device != "" {
		keys = []string{t.deviceKey(device), t.factorKey(uid)}
	}
	for _, k := range keys {
		if err := t.client.Do(ctx, t.client.B().Del().Key(k).Build()).Error(); err != nil {
			return fmt.Errorf("auth: login throttle: %w", err)
		}
	}
	if device != "" {
		return nil // the address's allowance was not used
	}
	if err := giveBack.Exec(ctx, t.client, []string{t.addressKey(ip)}, nil).Error(); err != nil {
		return fmt.Errorf("auth: login throttle: %w", err)
	}
	return nil
}

// secondFactor counts a second-factor attempt of an account.
func (t *throttle) secondFactor(ctx context.Context, uid int64) (time.Duration, error) {
	return t.take(ctx, t.factorKey(uid), SecondFactorLimit, LoginWindow)
}

// mayLog reports whether one more anonymous security-log line from ip may
// be written this hour: failed sign-ins and refused requests from one
// address cannot fill Postgres.
func (t *throttle) mayLog(ctx context.Context, ip string) bool {
	wait, err := t.take(ctx, t.logKey(ip), securityLogAddressRate, time.Hour)
	return err == nil && wait == 0
}
