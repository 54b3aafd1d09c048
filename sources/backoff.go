package sources

import (
	"errors"
	"math/rand/v2"
	"net/http"
	"time"
)

// Backoff is how long a runner waits before reconnecting, following X's
// guidance for all kinds: linear on network errors, exponential on HTTP
// errors, exponential from a longer start on 429 (a Retry-After wins).
type Backoff struct {
	// Network is the step of the linear backoff on network errors, closed
	// or silent streams (default 250ms, capped at 64 steps).
	Network time.Duration
	// HTTP is the first wait after an HTTP error, doubled each time (default 5s).
	HTTP time.Duration
	// RateLimit is the first wait after a 429 without Retry-After (default 60s).
	RateLimit time.Duration
	// Max caps every wait but a Retry-After (default 5m).
	Max time.Duration
	// MaxRetryAfter caps a server's Retry-After (or rate-limit reset): a
	// server asking for an hour, or a clock far off, must not park a source
	// for longer (default 15m).
	MaxRetryAfter time.Duration
}

func (b Backoff) withDefaults() Backoff {
	if b.Network <= 0 {
		b.Network = 250 * time.Millisecond
	}
	if b.HTTP <= 0 {
		b.HTTP = 5 * time.Second
	}
	if b.RateLimit <= 0 {
		b.RateLimit = 60 * time.Second
	}
	if b.Max <= 0 {
		b.Max = 5 * time.Minute
	}
	if b.MaxRetryAfter <= 0 {
		b.MaxRetryAfter = 15 * time.Minute
	}
	return b
}

// delay is the wait before attempt (1 = first retry) after err, with ±20 %
// jitter so workers do not reconnect in lockstep; never below a Retry-After
// (itself capped at MaxRetryAfter).
func (b Backoff) delay(err error, attempt int) time.Duration {
	b = b.withDefaults()
	if attempt < 1 {
		attempt = 1
	}
	var d time.Duration
	var he *HTTPError
	switch {
	case errors.As(err, &he) && he.RetryAfter > 0:
		d := min(he.RetryAfter, b.MaxRetryAfter)
		return d + time.Duration(rand.Int64N(int64(d/10)+1))
	case errors.As(err, &he) && he.Status == http.StatusTooManyRequests:
		d = exp(b.RateLimit, attempt, b.Max)
	case errors.As(err, &he):
		d = exp(b.HTTP, attempt, b.Max)
	default:
		d = min(b.Network*time.Duration(min(attempt, 64)), b.Max)
	}
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * jitter)
}

func exp(base time.Duration, attempt int, ceiling time.Duration) time.Duration {
	d := base
	for i := 1; i < attempt && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}
