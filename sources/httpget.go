package sources

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"time"
)

// redactErr removes the query of rawURL from err's message.
func redactErr(err error, rawURL string) error {
	q := strings.IndexByte(rawURL, '?')
	if q < 0 {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), rawURL[q:], "?[redacted]"))
}

// secretError hides a secret that an error's message would show. It
// unwraps to the original, so the backoff still sees an *HTTPError.
type secretError struct {
	msg string
	err error
}

func (e *secretError) Error() string { return e.msg }
func (e *secretError) Unwrap() error { return e.err }

// scrub returns err with every occurrence of secret replaced: a last line
// of defence for errors that reach logs and the dashboard.
func scrub(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	return &secretError{msg: strings.ReplaceAll(err.Error(), secret, "[redacted]"), err: err}
}

// pollTimeout bounds one request of a poll.
const pollTimeout = 30 * time.Second

// maxBody caps what a poll reads (a feed or a page of results).
const maxBody = 8 << 20

// get does one bounded GET and returns the response (status 200 or 304 only;
// anything else is an *HTTPError) and its body.
func get(ctx context.Context, c *http.Client, url string, header http.Header) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		// The URL may carry a key in its query: never in an error.
		return nil, nil, fmt.Errorf("sources: request: %w", redactErr(err, url))
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "Backchannel/1.0 (+https://github.com/backchannel/backchannel)")
	resp, err := c.Do(req)
	if err != nil {
		var ue *neturl.Error
		if errors.As(err, &ue) {
			// net/http puts the whole URL, query and API key included, in
			// its errors: keep only scheme, host and path.
			ue.URL = redactURL(req)
		}
		return nil, nil, fmt.Errorf("sources: get: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotModified {
		return resp, nil, httpError(resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return resp, nil, fmt.Errorf("sources: read %s: %w", redactURL(req), err)
	}
	return resp, body, nil
}
