package admin

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/rueidis"
)

// Login throttling limits: failures allowed per account and per address in
// one window. The address limit is higher because a venue shares one NAT.
const (
	loginAccountLimit = 5
	loginAddressLimit = 20
	loginWindow       = 15 * time.Minute
)

// throttle counts failed logins in Redis so the limits hold across nodes.
type throttle struct {
	client rueidis.Client
	prefix string
}

func (t *throttle) accountKey(email string) string {
	return t.prefix + "acct:" + strings.ToLower(strings.TrimSpace(email))
}
func (t *throttle) addressKey(ip string) string { return t.prefix + "addr:" + ip }

// blocked returns how long the caller must wait, or 0 when a login may be tried.
func (t *throttle) blocked(ctx context.Context, email, ip string) (time.Duration, error) {
	var wait time.Duration
	for _, k := range []struct {
		key   string
		limit int64
	}{{t.accountKey(email), loginAccountLimit}, {t.addressKey(ip), loginAddressLimit}} {
		n, err := t.client.Do(ctx, t.client.B().Get().Key(k.key).Build()).AsInt64()
		if rueidis.IsRedisNil(err) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("admin: login throttle: %w", err)
		}
		if n < k.limit {
			continue
		}
		ttl, err := t.client.Do(ctx, t.client.B().Pttl().Key(k.key).Build()).AsInt64()
		if err != nil {
			return 0, fmt.Errorf("admin: login throttle: %w", err)
		}
		d := time.Duration(ttl) * time.Millisecond
		if ttl < 0 {
			d = loginWindow
		}
		wait = max(wait, d)
	}
	return wait, nil
}

// failed counts one failed login against the account and the address.
func (t *throttle) failed(ctx context.Context, email, ip string) error {
	for _, key := range []string{t.accountKey(email), t.addressKey(ip)} {
		res := t.client.DoMulti(ctx,
			t.client.B().Incr().Key(key).Build(),
			t.client.B().Expire().Key(key).Seconds(int64(loginWindow/time.Second)).Nx().Build())
		for _, r := range res {
			if err := r.Error(); err != nil {
				return fmt.Errorf("admin: login throttle: %w", err)
			}
		}
	}
	return nil
}

// succeeded clears the account's failures (the address keeps its count).
func (t *throttle) succeeded(ctx context.Context, email string) error {
	if err := t.client.Do(ctx, t.client.B().Del().Key(t.accountKey(email)).Build()).Error(); err != nil {
		return fmt.Errorf("admin: login throttle: %w", err)
	}
	return nil
}
