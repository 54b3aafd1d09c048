package sources

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HTTPError is a non-success answer of a source's server.
type HTTPError struct {
	Status int
	// RetryAfter is the server's Retry-After, 0 when absent.
	RetryAfter time.Duration
	URL        string
	Body       string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("sources: %s answered %d: %s", e.URL, e.Status, truncate(strings.TrimSpace(e.Body), 200))
}

// errStreamSilent ends a stream that sent nothing, not even a heartbeat,
// for longer than its heartbeat interval.
var errStreamSilent = errors.New("sources: stream silent past its heartbeat interval")

// errStreamEnded is a stream the server closed cleanly.
var errStreamEnded = errors.New("sources: stream closed by the server")

// httpError builds an HTTPError from a response, reading a little of its body.
func httpError(resp *http.Response) *HTTPError {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	return &HTTPError{Status: resp.StatusCode, RetryAfter: retryHint(resp, time.Now()), URL: redactURL(resp.Request), Body: string(b)}
}

// retryHint is how long the server asks us to wait: Retry-After (RFC 9110
// §10.2.3, seconds or an HTTP date) when present; on a 429 without it, the
// reset time of the rate-limit window. Mastodon's rack-attack answers 429
// with X-RateLimit-Reset as an ISO 8601 time and no Retry-After
// (config/initializers/rack_attack.rb); X sends x-rate-limit-reset in epoch
// seconds (docs.x.com, "Rate limits"). Backoff.delay caps what it returns.
func retryHint(resp *http.Response, now time.Time) time.Duration {
	if d := retryAfter(resp.Header.Get("Retry-After"), now); d > 0 {
		return d
	}
	if resp.StatusCode != http.StatusTooManyRequests {
		return 0
	}
	reset := strings.TrimSpace(resp.Header.Get("X-RateLimit-Reset"))
	if reset == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(reset, 10, 64); err == nil {
		if t := time.Unix(secs, 0); t.After(now) {
			return t.Sub(now)
		}
		return 0
	}
	if t, err := time.Parse(time.RFC3339Nano, reset); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// redactURL names the request without its query (which may hold an API key).
func redactURL(req *http.Request) string {
	if req == nil || req.URL == nil {
		return "server"
	}
	u := *req.URL
	u.RawQuery = ""
	return u.String()
}
