package sources

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// feedAdapter polls an Atom/RSS feed with conditional GETs: the ETag and
// Last-Modified of the last answer are the cursor, and 304 means nothing new.
type feedAdapter struct {
	url   string
	every time.Duration
}

type feedCursor struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

func newFeedAdapter(r *runner) (*feedAdapter, error) {
	if SafeURL(r.cfg.URL) == "" {
		return nil, errors.New("sources: feed: url must be an http(s) URL")
	}
	return &feedAdapter{url: r.cfg.URL, every: r.cfg.EveryOr(defaultEvery("feed"))}, nil
}

func (a *feedAdapter) interval() time.Duration { return a.every }

func (a *feedAdapter) run(ctx context.Context, r *runner) error {
	var cur feedCursor
	_ = json.Unmarshal([]byte(r.savedCursor()), &cur)
	h := http.Header{}
	if cur.ETag != "" {
		h.Set("If-None-Match", cur.ETag)
	}
	if cur.LastModified != "" {
		h.Set("If-Modified-Since", cur.LastModified)
	}
	resp, body, err := get(ctx, r.m.opts.HTTPClient, a.url, h)
	if err != nil {
		return err
	}
	r.connected()
	if resp.StatusCode == http.StatusNotModified {
		return nil
	}
	items, err := ParseFeed(body, time.Now())
	if err != nil {
		r.bad(err)
		return nil
	}
	for _, it := range items {
		if err := r.add(ctx, it); err != nil {
			return err
		}
	}
	next, _ := json.Marshal(feedCursor{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")})
	r.checkpoint(string(next))
	return nil
}
