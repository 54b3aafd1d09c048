package sources

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// flickrMaxPages bounds one poll; the rest comes on the next poll.
const flickrMaxPages = 10

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
	return scrub(a.poll(ctx, r), r.secret())
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
		q := url.Values{
			"method":         {"flickr.photos.search"},
			"api_key":        {r.secret()},
			"tags":           {strings.ReplaceAll(a.tags, " ", ",")},
			"extras":         {"date_upload,date_taken,owner_name,tags,url_m"},
			"sort":           {"date-posted-asc"},
			"per_page":       {"100"},
			"page":           {strconv.Itoa(page)},
			"format":         {"json"},
			"nojsoncallback": {"1"},
		}
		q.Set("min_upload_date", since)
		_, body, err := get(ctx, r.m.opts.HTTPClient, strings.TrimRight(a.base, "/")+"/?"+q.Encode(), nil)
		if err != nil {
			return err
		}
		res, err := ParseFlickrSearch(body, time.Now())
		var fe *FlickrError
		if errors.As(err, &fe) {
			return err
		}
		if err != nil {
			r.bad(err)
			return nil
		}
		r.connected()
		for _, it := range res.Items {
			if err := r.add(ctx, it); err != nil {
				return err
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
