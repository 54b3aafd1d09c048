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
