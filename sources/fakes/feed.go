package fakes

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Feed is a fake Atom or RSS feed with conditional GET (RFC 9110 §13.1.1
// If-None-Match, §13.1.3 If-Modified-Since: 304 Not Modified with no body
// when the validator matches). Like most feeds it holds only its newest
// Window entries: older ones fall off the end without being deleted. It is
// an http.Handler.
type Feed struct {
	// RSS serves RSS 2.0 with numeric, non-permalink GUIDs (<guid
	// isPermaLink="false">1</guid>), the kind that collide across feeds;
	// otherwise Atom with tag: URIs.
	RSS bool
	// Window is how many newest entries the feed shows (default 20).
	Window int

	mu       sync.Mutex
	entries  []fentry
	lastID   int
	version  int
	modified time.Time
	full     int
	notMod   int
}

type fentry struct {
	id             int
	title, content string
	published      time.Time
	updated        time.Time
}

// Publish adds an entry and returns its id (1, 2, …).
func (f *Feed) Publish(title, content string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now().UTC().Truncate(time.Second)
	f.lastID++
	e := fentry{id: f.lastID, title: title, content: content, published: now, updated: now}
	f.entries = append(f.entries, e)
	f.changed()
	return e.id
}

// Edit changes an entry's title and content and its updated time.
func (f *Feed) Edit(id int, title, content string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.entries {
		if f.entries[i].id == id {
			f.entries[i].title, f.entries[i].content = title, content
			f.entries[i].updated = time.Now().UTC().Truncate(time.Second)
		}
	}
	f.changed()
}

// Remove takes an entry out of the feed (the author deleted it).
func (f *Feed) Remove(id int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.entries {
		if f.entries[i].id == id {
			f.entries = append(f.entries[:i], f.entries[i+1:]...)
			break
		}
	}
	f.changed()
}

func (f *Feed) changed() {
	f.version++
	// Last-Modified has one-second resolution: a change within the same
	// second as the previous one would not be seen by If-Modified-Since
	// alone; the ETag still changes.
	f.modified = time.Now().UTC().Truncate(time.Second)
}

// Counts returns how many full answers and 304s the feed gave.
func (f *Feed) Counts() (full, notModified int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.full, f.notMod
}

func (f *Feed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	etag := `"v` + strconv.Itoa(f.version) + `"`
	lastMod := f.modified.Format(http.TimeFormat)
	inm := r.Header.Get("If-None-Match")
	ims, imsErr := http.ParseTime(r.Header.Get("If-Modified-Since"))
	// RFC 9110 §13.1.3: If-Modified-Since is ignored when If-None-Match is present.
	if (inm != "" && inm == etag) || (inm == "" && imsErr == nil && !f.modified.After(ims)) {
		f.notMod++
		w.Header().Set("ETag", etag)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	f.full++
	win := f.Window
	if win <= 0 {
		win = 20
	}
	list := f.entries
	if len(list) > win {
		list = list[len(list)-win:]
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", lastMod)
	if f.RSS {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Notes</title><link>https://blog.example/</link><description>Notes</description>`)
		for i := len(list) - 1; i >= 0; i-- {
			e := list[i]
			fmt.Fprintf(w, `<item><guid isPermaLink="false">%d</guid><title>%s</title><link>https://blog.example/notes/%d</link><pubDate>%s</pubDate><description>%s</description></item>`,
				e.id, esc(e.title), e.id, e.published.Format(time.RFC1123Z), esc(e.content))
		}
		fmt.Fprint(w, `</channel></rss>`)
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><id>tag:blog.example,2026:feed</id><title>Notes</title><updated>%s</updated><author><name>Notes team</name></author>`, f.modified.Format(time.RFC3339))
	for i := len(list) - 1; i >= 0; i-- {
		e := list[i]
		fmt.Fprintf(w, `<entry><id>tag:blog.example,2026:/notes/%d</id><title>%s</title><link href="https://blog.example/notes/%d"/><published>%s</published><updated>%s</updated><content type="html">%s</content></entry>`,
			e.id, esc(e.title), e.id, e.published.Format(time.RFC3339), e.updated.Format(time.RFC3339), esc(e.content))
	}
	fmt.Fprint(w, `</feed>`)
}

func esc(s string) string {
	var b []byte
	w := &sliceWriter{&b}
	_ = xml.EscapeText(w, []byte(s))
	return string(b)
}

type sliceWriter struct{ b *[]byte }

func (s *sliceWriter) Write(p []byte) (int, error) { *s.b = append(*s.b, p...); return len(p), nil }
