package sources

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/backchannel/backchannel/live"
)

// FlickrError is a Flickr API answer with stat "fail".
type FlickrError struct {
	Code    int
	Message string
}

func (e *FlickrError) Error() string {
	return fmt.Sprintf("sources: flickr: error %d: %s", e.Code, e.Message)
}

// flexInt reads a JSON number or a numeric string (Flickr sends both).
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("not an integer: %q", truncate(s, 40))
	}
	*f = flexInt(n)
	return nil
}

type flickrPhoto struct {
	ID         string  `json:"id"`
	Owner      string  `json:"owner"`
	Secret     string  `json:"secret"`
	Server     string  `json:"server"`
	Farm       flexInt `json:"farm"`
	Title      string  `json:"title"`
	DateUpload flexInt `json:"dateupload"`
	OwnerName  string  `json:"ownername"`
	URLM       string  `json:"url_m"`
}

type flickrAnswer struct {
	Stat    string `json:"stat"`
	Code    int    `json:"code"`
	Message string `json:"message"`
	Photos  struct {
		Page  flexInt       `json:"page"`
		Pages flexInt       `json:"pages"`
		Total flexInt       `json:"total"`
		Photo []flickrPhoto `json:"photo"`
	} `json:"photos"`
}

// FlickrPage is one parsed photos.search answer.
type FlickrPage struct {
	Items []live.Item
	// MaxUpload is the newest dateupload on the page (unix seconds): the
	// next poll's min_upload_date.
	MaxUpload int64
	Page      int
	Pages     int
	// Total is how many photos match the search in all.
	Total int
}

// ParseFlickrSearch parses a flickr.photos.search JSON answer (nojsoncallback).
// stat "fail" returns a *FlickrError.
func ParseFlickrSearch(data []byte, now time.Time) (FlickrPage, error) {
	var a flickrAnswer
	if err := json.Unmarshal(data, &a); err != nil {
		return FlickrPage{}, fmt.Errorf("sources: flickr: %w", err)
	}
	if a.Stat != "ok" {
		return FlickrPage{}, &FlickrError{Code: a.Code, Message: a.Message}
	}
	page := FlickrPage{Page: int(a.Photos.Page), Pages: int(a.Photos.Pages), Total: int(a.Photos.Total)}
	for _, p := range a.Photos.Photo {
		if p.ID == "" || !alnum(p.ID) || !alnum(p.Secret) || !alnum(p.Server) {
			continue
		}
		up := int64(p.DateUpload)
		if up > page.MaxUpload {
			page.MaxUpload = up
		}
		base := "https://live.staticflickr.com/" + p.Server + "/" + p.ID + "_" + p.Secret
		thumb := p.URLM
		if SafeURL(thumb) == "" {
			thumb = base + "_q.jpg"
		}
		title := NormalizeText(p.Title)
		author := live.Author{Name: p.OwnerName, Handle: p.Owner, URL: "https://www.flickr.com/photos/" + url.PathEscape(p.Owner) + "/"}
		it := live.Item{
			ID:     ItemID("flickr", p.ID),
			Source: "flickr",
			Kind:   live.KindPhoto,
			Author: author,
			Text:   title,
			URL:    "https://www.flickr.com/photos/" + url.PathEscape(p.Owner) + "/" + p.ID + "/",
			Media:  []live.Media{{Type: "image", URL: base + "_b.jpg", ThumbURL: thumb, Alt: title}},
		}
		if up > 0 {
			it.CreatedAt = time.Unix(up, 0)
		}
		Finish(&it, now)
		page.Items = append(page.Items, it)
	}
	return page, nil
}

func alnum(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
