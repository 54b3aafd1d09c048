package sources

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/backchannel/backchannel/live"
)

// feedAdapter polls an Atom/RSS feed with conditional GETs: the ETag and
// Last-Modified of the last answer are the cursor, and 304 means nothing new.
//
// Entry ids are scoped to the source ("feed:<source id>:<guid>"): RSS GUIDs
// are often small numbers ("1", "2"), unique only within their feed. Each
// full answer is compared with the previous one (kept in Redis): an entry
// whose content changed is an update, and an entry that disappeared while
// newer than the oldest entry still listed was deleted (a hide); older ones
// only fell off the end of the feed's window and stay.
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

// feedItemID scopes an entry's key to its source.
func feedItemID(sourceID int64, key string) string {
	return ItemID("feed", strconv.FormatInt(sourceID, 10)+":"+key)
}

func feedHash(it live.Item) string {
	h := sha256.New()
	b, _ := json.Marshal([]any{it.Text, it.HTML, it.URL, it.Media})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)[:12])
}

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
		return err
	}
	c := r.m.redis
	key := r.m.k.feedEntries(r.src.ID)
	known, err := c.Do(ctx, c.B().Hgetall().Key(key).Build()).AsStrMap()
	if err != nil {
		return fmt.Errorf("sources: feed: load entries of source %d: %w", r.src.ID, err)
	}
	seen := make(map[string]string, len(items))
	var oldest time.Time
	for _, it := range items {
		entry := strings.TrimPrefix(it.ID, "feed:")
		it.ID = feedItemID(r.src.ID, entry)
		sum := feedHash(it)
		seen[entry] = strconv.FormatInt(it.CreatedAt.Unix(), 10) + "|" + sum
		if oldest.IsZero() || it.CreatedAt.Before(oldest) {
			oldest = it.CreatedAt
		}
		prev, ok := known[entry]
		switch {
		case !ok:
			err = r.add(ctx, it)
		case !strings.HasSuffix(prev, "|"+sum):
			err = r.update(ctx, it)
		}
		if err != nil {
			return err
		}
	}
	var gone []string
	for entry, v := range known {
		if _, ok := seen[entry]; ok {
			continue
		}
		gone = append(gone, entry)
		created, _ := strconv.ParseInt(strings.SplitN(v, "|", 2)[0], 10, 64)
		if len(items) > 0 && !time.Unix(created, 0).Before(oldest) {
			if err := r.hide(ctx, feedItemID(r.src.ID, entry)); err != nil {
				return err
			}
		}
	}
	// Written after the appends it describes: Redis's AOF replays writes in
	// order, so this never survives a crash that lost those appends.
	cmds := make([]string, 0, 2*len(seen))
	for k, v := range seen {
		cmds = append(cmds, k, v)
	}
	if len(cmds) > 0 {
		if err := c.Do(ctx, c.B().Hset().Key(key).FieldValue().FieldValueIter(pairs(cmds)).Build()).Error(); err != nil {
			return fmt.Errorf("sources: feed: save entries of source %d: %w", r.src.ID, err)
		}
	}
	if len(gone) > 0 {
		if err := c.Do(ctx, c.B().Hdel().Key(key).Field(gone...).Build()).Error(); err != nil {
			return fmt.Errorf("sources: feed: save entries of source %d: %w", r.src.ID, err)
		}
	}
	next, _ := json.Marshal(feedCursor{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")})
	r.checkpoint(string(next))
	return nil
}
