package sources

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// flickrMaxPages bounds one poll; the rest comes on the next poll.
const flickrMaxPages = 10

// flickrSweepEvery is how often (in polls' time) a source re-lists every
// photo since its event's start to find the deleted ones.
const flickrSweepEvery = 10

// flickr polls flickr.photos.search for the source's tags, oldest first,
// from min_upload_date = the newest upload seen (inclusive: the boundary
// photos come again and are deduped).
type flickr struct {
	base  string
	tags  string
	every time.Duration
}

func newFlickr(r *runner) (*flickr, error) {
	if SafeURL(r.cfg.BaseURL) == "" || strings.TrimSpace(r.cfg.Tags) == "" {
		return nil, errors.New("sources: flickr: base_url and tags are required")
	}
	return &flickr{base: r.cfg.BaseURL, tags: r.cfg.Tags, every: r.cfg.EveryOr(defaultEvery("flickr"))}, nil
}

func (a *flickr) interval() time.Duration { return a.every }

// run polls once. The API key travels in the query (Flickr's REST API has
// no header for it), so every error it returns is scrubbed of the key.
func (a *flickr) run(ctx context.Context, r *runner) error {
	if err := a.poll(ctx, r); err != nil {
		return scrub(err, r.secret())
	}
	return scrub(a.sweep(ctx, r), r.secret())
}

// search fetches one page of photos uploaded since minUpload.
func (a *flickr) search(ctx context.Context, r *runner, minUpload string, page int) (FlickrPage, error) {
	q := url.Values{
		"method":          {"flickr.photos.search"},
		"api_key":         {r.secret()},
		"tags":            {strings.ReplaceAll(a.tags, " ", ",")},
		"extras":          {"date_upload,date_taken,owner_name,tags,url_m"},
		"sort":            {"date-posted-asc"},
		"per_page":        {"100"},
		"page":            {strconv.Itoa(page)},
		"format":          {"json"},
		"nojsoncallback":  {"1"},
		"min_upload_date": {minUpload},
	}
	_, body, err := get(ctx, r.m.opts.HTTPClient, strings.TrimRight(a.base, "/")+"/?"+q.Encode(), nil)
	if err != nil {
		return FlickrPage{}, err
	}
	res, err := ParseFlickrSearch(body, time.Now())
	var fe *FlickrError
	if err != nil && !errors.As(err, &fe) {
		// Not Flickr's JSON at all (an HTML page, JSONP): a failed poll,
		// retried, never "nothing new".
		r.bad(err)
	}
	return res, err
}

// sweep finds deleted photos: Flickr tells nobody, a deleted (or
// privated, or untagged) photo simply stops appearing in searches. So every
// flickrSweepEvery intervals the source re-lists every photo since its
// event's start and hides those it appended that are gone. Only a listing
// that completed (every page answered "ok", the total agrees with what
// was listed) hides anything: a partial answer never does.
func (a *flickr) sweep(ctx context.Context, r *runner) error {
	c := r.m.redis
	key := r.m.k.cursor(r.src.ID)
	last, _ := c.Do(ctx, c.B().Hget().Key(key).Field("swept_at").Build()).AsInt64()
	if time.Since(time.Unix(last, 0)) < flickrSweepEvery*a.every {
		return nil
	}
	start, err := r.eventStart(ctx)
	if err != nil {
		return err
	}
	listed := map[string]bool{}
	for page := 1; ; page++ {
		if page > 10*flickrMaxPages {
			return nil // too many photos to sweep in one go: no verdict
		}
		res, err := a.search(ctx, r, strconv.FormatInt(start.Unix(), 10), page)
		if err != nil {
			return err
		}
		for _, it := range res.Items {
			listed[it.ID] = true
		}
		if res.Page >= res.Pages || len(res.Items) == 0 {
			if res.Total > 0 && len(listed) < res.Total {
				return nil
			}
			break
		}
	}
	known, err := c.Do(ctx, c.B().Hkeys().Key(r.m.k.flickrPhotos(r.src.ID)).Build()).AsStrSlice()
	if err != nil {
		return fmt.Errorf("sources: flickr: photos of source %d: %w", r.src.ID, err)
	}
	for _, id := range known {
		if listed[id] {
			continue
		}
		if err := r.hide(ctx, id); err != nil {
			return err
		}
		if err := c.Do(ctx, c.B().Hdel().Key(r.m.k.flickrPhotos(r.src.ID)).Field(id).Build()).Error(); err != nil {
			return fmt.Errorf("sources: flickr: photos of source %d: %w", r.src.ID, err)
		}
	}
	return c.Do(ctx, c.B().Hset().Key(key).FieldValue().FieldValue("swept_at", strconv.FormatInt(time.Now().Unix(), 10)).Build()).Error()
}

func (a *flickr) poll(ctx context.Context, r *runner) error {
	since := r.savedCursor()
	if since == "" {
		// A new source reads from its event's start, not Flickr's whole
		// history of the tag (min_upload_date is inclusive).
		start, err := r.eventStart(ctx)
		if err != nil {
			return err
		}
		since = strconv.FormatInt(start.Unix(), 10)
	}
	newest, _ := strconv.ParseInt(since, 10, 64)
	for page := 1; page <= flickrMaxPages; page++ {
		res, err := a.search(ctx, r, since, page)
		if err != nil {
			return err
		}
		r.connected()
		for _, it := range res.Items {
			if err := r.add(ctx, it); err != nil {
				return err
			}
			// Remembered for the sweep that finds deleted photos.
			c := r.m.redis
			if err := c.Do(ctx, c.B().Hset().Key(r.m.k.flickrPhotos(r.src.ID)).FieldValue().FieldValue(it.ID, "1").Build()).Error(); err != nil {
				return fmt.Errorf("sources: flickr: remember photo: %w", err)
			}
		}
		if res.MaxUpload > newest {
			newest = res.MaxUpload
			r.checkpoint(strconv.FormatInt(newest, 10))
		}
		if res.Page >= res.Pages || len(res.Items) == 0 {
			break
		}
	}
	return nil
}
