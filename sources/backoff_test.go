package sources

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestBackoffFollowsXGuidance(t *testing.T) {
	b := Backoff{Network: 250 * time.Millisecond, HTTP: 5 * time.Second, RateLimit: time.Minute, Max: 5 * time.Minute}
	within := func(d, want time.Duration) bool { return d >= want*8/10 && d <= want*12/10 }
	network := errors.New("connection reset")
	if d := b.delay(network, 4); !within(d, time.Second) {
		t.Errorf("network errors back off linearly: attempt 4 waited %v, want ~1s", d)
	}
	server := &HTTPError{Status: http.StatusServiceUnavailable}
	if d := b.delay(server, 3); !within(d, 20*time.Second) {
		t.Errorf("HTTP errors back off exponentially: attempt 3 waited %v, want ~20s", d)
	}
	limited := &HTTPError{Status: http.StatusTooManyRequests}
	if d := b.delay(limited, 2); !within(d, 2*time.Minute) {
		t.Errorf("429 backs off from a minute: attempt 2 waited %v", d)
	}
	if d := b.delay(&HTTPError{Status: http.StatusTooManyRequests, RetryAfter: 7 * time.Minute}, 1); d < 7*time.Minute {
		t.Errorf("Retry-After must be honoured even above Max: %v", d)
	}
	if d := b.delay(server, 30); d > b.Max*12/10 {
		t.Errorf("capped at Max: %v", d)
	}
}

func TestRetryAfterReadsSecondsAndDates(t *testing.T) {
	now := time.Date(2026, 5, 24, 9, 0, 0, 0, time.UTC)
	if d := retryAfter("120", now); d != 2*time.Minute {
		t.Errorf("seconds: %v", d)
	}
	if d := retryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now); d != 90*time.Second {
		t.Errorf("date: %v", d)
	}
	if d := retryAfter("soon", now); d != 0 {
		t.Errorf("garbage: %v", d)
	}
}

// A server's rate-limit headers never make a negative wait, and the
// backoff never waits longer than MaxRetryAfter (plus its jitter).
func FuzzRetryHint(f *testing.F) {
	f.Add(429, "120", "")
	f.Add(429, "", "2026-05-24T09:05:00.000000Z")
	f.Add(429, "", "1779613500")
	f.Add(503, "Sun, 24 May 2026 09:05:00 GMT", "")
	f.Add(429, "-5", "not a time")
	f.Fuzz(func(t *testing.T, status int, retryAfter, reset string) {
		resp := &http.Response{StatusCode: status, Header: http.Header{}}
		resp.Header.Set("Retry-After", retryAfter)
		resp.Header.Set("X-RateLimit-Reset", reset)
		d := retryHint(resp, time.Date(2026, 5, 24, 9, 0, 0, 0, time.UTC))
		if d < 0 {
			t.Fatalf("negative wait %v", d)
		}
		b := Backoff{MaxRetryAfter: time.Minute}
		if w := b.delay(&HTTPError{Status: status, RetryAfter: d}, 1); d > 0 && w > time.Minute+6*time.Second {
			t.Fatalf("waited %v past the cap", w)
		}
	})
}

func TestRetryHintReadsEachUpstreamsRateLimitHeaders(t *testing.T) {
	now := time.Date(2026, 5, 24, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name              string
		status            int
		retryAfter, reset string
		want              time.Duration
	}{
		{"Retry-After in seconds wins", 429, "30", "2026-05-24T09:05:00.000000Z", 30 * time.Second},
		{"Mastodon: 429 with an ISO 8601 X-RateLimit-Reset and no Retry-After", 429, "", "2026-05-24T09:05:00.000000Z", 5 * time.Minute},
		{"X: 429 with x-rate-limit-reset in epoch seconds", 429, "", "1779613320", 2 * time.Minute},
		{"a reset on a 200 is no reason to wait", 200, "", "1779613320", 0},
		{"a reset in the past", 429, "", "2026-05-24T08:00:00Z", 0},
	}
	for _, c := range cases {
		resp := &http.Response{StatusCode: c.status, Header: http.Header{}}
		resp.Header.Set("Retry-After", c.retryAfter)
		resp.Header.Set("X-RateLimit-Reset", c.reset)
		if got := retryHint(resp, now); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	capped := Backoff{MaxRetryAfter: time.Minute}.delay(&HTTPError{Status: 429, RetryAfter: time.Hour}, 1)
	if capped < time.Minute || capped > time.Minute+6*time.Second {
		t.Errorf("an hour's Retry-After waited %v, want the one-minute cap", capped)
	}
}
