package fakes

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Flickr is a fake of Flickr's REST endpoint /services/rest/ answering
// flickr.photos.search (flickr.com/services/api/flickr.photos.search.html).
// It is an http.Handler.
//
// What it imitates:
//   - api_key is required; a missing or unknown key is error 100 "Invalid
//     API Key (Key has invalid format)" — with HTTP status 200 and
//     "stat": "fail" in the body, as every Flickr API error
//     (services/api/response.json.html).
//   - format=json without nojsoncallback=1 wraps the answer in
//     jsonFlickrApi(…) (JSONP); with it, bare JSON.
//   - tags is a comma-separated list (tag_mode any); min_upload_date is a
//     unix time and inclusive ("Minimum upload date. Photos with an upload
//     date greater than or equal to this value will be returned");
//     sort=date-posted-asc; per_page defaults to 100, at most 500.
//   - extras=date_upload gives "dateupload" as a string of unix seconds.
//   - a deleted photo (or one made private) simply no longer appears.
type Flickr struct {
	key string

	mu     sync.Mutex
	photos []fphoto
	seq    int64
	fails  []int // Flickr error codes for the next requests (105: service unavailable)
	reqs   []string
}

type fphoto struct {
	id, owner, title, tags string
	uploaded               int64
	deleted                bool
}

// NewFlickr returns a fake that accepts apiKey.
func NewFlickr(apiKey string) *Flickr { return &Flickr{key: apiKey, seq: 54150000000} }

// Upload adds a photo uploaded at uploaded (zero: now) and returns its id.
func (f *Flickr) Upload(owner, title, tags string, uploaded time.Time) string {
	if uploaded.IsZero() {
		uploaded = time.Now()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	id := strconv.FormatInt(f.seq, 10)
	f.photos = append(f.photos, fphoto{id: id, owner: owner, title: title, tags: tags, uploaded: uploaded.Unix()})
	return id
}

// Delete removes a photo from search results.
func (f *Flickr) Delete(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.photos {
		if f.photos[i].id == id {
			f.photos[i].deleted = true
		}
	}
}

// Fail makes the next requests answer these Flickr error codes (e.g. 105
// "Service currently unavailable"), inside HTTP 200.
func (f *Flickr) Fail(codes ...int) {
	f.mu.Lock()
	f.fails = append(f.fails, codes...)
	f.mu.Unlock()
}

// Requests returns the raw query of every request, in order.
func (f *Flickr) Requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.reqs...)
}

var flickrErrors = map[int]string{
	100: "Invalid API Key (Key has invalid format)",
	105: "Service currently unavailable",
	112: "Method \"%s\" not found",
}

func (f *Flickr) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	f.reqs = append(f.reqs, r.URL.RawQuery)
	var code int
	if len(f.fails) > 0 {
		code, f.fails = f.fails[0], f.fails[1:]
	}
	f.mu.Unlock()
	var answer any
	switch {
	case q.Get("api_key") != f.key:
		code = 100
	case q.Get("method") != "flickr.photos.search":
		code = 112
	}
	if code != 0 {
		answer = map[string]any{"stat": "fail", "code": code, "message": strings.ReplaceAll(flickrErrors[code], "%s", q.Get("method"))}
	} else {
		answer = f.search(q)
	}
	b, _ := json.Marshal(answer)
	w.Header().Set("Content-Type", "application/json")
	if q.Get("nojsoncallback") != "1" {
		fmt.Fprintf(w, "jsonFlickrApi(%s)", b)
		return
	}
	_, _ = w.Write(b)
}

func (f *Flickr) search(q map[string][]string) any {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	want := map[string]bool{}
	for _, t := range strings.Split(strings.ToLower(get("tags")), ",") {
		if t = strings.TrimSpace(t); t != "" {
			want[t] = true
		}
	}
	minUp, _ := strconv.ParseInt(get("min_upload_date"), 10, 64)
	perPage := 100
	if n, err := strconv.Atoi(get("per_page")); err == nil && n > 0 {
		perPage = min(n, 500)
	}
	page := 1
	if n, err := strconv.Atoi(get("page")); err == nil && n > 0 {
		page = n
	}
	f.mu.Lock()
	var hits []fphoto
	for _, p := range f.photos {
		if p.deleted || p.uploaded < minUp {
			continue
		}
		for _, t := range strings.Fields(strings.ToLower(p.tags)) {
			if want[t] {
				hits = append(hits, p)
				break
			}
		}
	}
	f.mu.Unlock()
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].uploaded < hits[j].uploaded })
	pages := (len(hits) + perPage - 1) / perPage
	lo, hi := min((page-1)*perPage, len(hits)), min(page*perPage, len(hits))
	list := []any{}
	for _, p := range hits[lo:hi] {
		list = append(list, map[string]any{
			"id": p.id, "owner": p.owner, "secret": "f00dfacade", "server": "65535", "farm": 66, "title": p.title,
			"ispublic": 1, "isfriend": 0, "isfamily": 0, "dateupload": strconv.FormatInt(p.uploaded, 10),
			"ownername": p.owner, "tags": p.tags,
			"url_m": "https://live.staticflickr.com/65535/" + p.id + "_f00dfacade.jpg",
		})
	}
	return map[string]any{"photos": map[string]any{"page": page, "pages": pages, "perpage": perPage, "total": len(hits), "photo": list}, "stat": "ok"}
}
