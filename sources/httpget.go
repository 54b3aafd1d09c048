package sources

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/backchannel/backchannel/outbound"
)

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

// maxBody caps what a poll reads (a feed or a page of results): a larger
// answer is an error, never silently cut to a shorter page.
const maxBody = 8 << 20

// get does one bounded GET through the manager's client (the outbound
// client under the credential guard) and returns the response (status 200
// or 304 only; anything else is an *HTTPError) and its body. Errors name
// the URL without its query, which may hold an API key.
func get(ctx context.Context, c *http.Client, rawURL string, header http.Header) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("sources: request %s: %w", redactRaw(rawURL), redactErr(err))
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "Backchannel/1.0 (+https://github.com/backchannel/backchannel)")
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("sources: get: %w", redactErr(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotModified {
		return resp, nil, httpError(resp)
	}
	body, err := outbound.ReadAll(resp.Body, maxBody)
	if err != nil {
		return resp, nil, fmt.Errorf("sources: read %s: %w", redactURL(req), err)
	}
	return resp, body, nil
}

// redactErr drops the query from the URL a *url.Error names.
func redactErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = redactRaw(ue.URL)
	}
	return err
}

func redactRaw(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "a source URL"
	}
	u.RawQuery, u.User = "", nil
	return u.String()
}
