package sources

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

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
		return nil, nil, fmt.Errorf("sources: request %s: %w", url, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "Backchannel/1.0 (+https://github.com/backchannel/backchannel)")
	resp, err := c.Do(req)
	if err != nil {
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
