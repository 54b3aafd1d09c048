package sources

import (
	"errors"
	"testing"
	"time"

	"github.com/backchannel/backchannel/live"
)

func TestFlickrFixture(t *testing.T) {
	page, err := ParseFlickrSearch(fixture(t, "flickr_search.json"), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 3 || page.MaxUpload != 1732111600 {
		t.Fatalf("items %d max %d", len(page.Items), page.MaxUpload)
	}
	a := page.Items[0]
	if a.ID != "flickr:54152047751" || a.Kind != live.KindPhoto || a.Text != "Keynote stage, day 1" || a.Author.Name != "Ada L." {
		t.Errorf("photo %+v", a)
	}
	if !a.CreatedAt.Equal(time.Unix(1732111407, 0)) {
		t.Errorf("dateupload string not read: %v", a.CreatedAt)
	}
	m := a.Media[0]
	if m.URL != "https://live.staticflickr.com/65535/54152047751_acfd415fa7_b.jpg" || m.ThumbURL != "https://live.staticflickr.com/65535/54152047751_acfd415fa7.jpg" {
		t.Errorf("media %+v", m)
	}
	if a.URL != "https://www.flickr.com/photos/12037949754@N01/54152047751/" {
		t.Errorf("origin %q", a.URL)
	}
	if page.Items[2].Text != "" || page.Items[2].Author.Name != "carol" {
		t.Errorf("untitled photo %+v", page.Items[2])
	}
}

func TestFlickrFailIsAnError(t *testing.T) {
	_, err := ParseFlickrSearch([]byte(`{"stat":"fail","code":100,"message":"Invalid API Key (Key has invalid format)"}`), testNow)
	var fe *FlickrError
	if !errors.As(err, &fe) || fe.Code != 100 {
		t.Errorf("err %v", err)
	}
}

func FuzzFlickrSearch(f *testing.F) {
	f.Add(fixture(f, "flickr_search.json"))
	f.Add([]byte(`{"stat":"fail","code":100,"message":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		page, err := ParseFlickrSearch(b, testNow)
		if err == nil {
			for _, it := range page.Items {
				checkItemInvariants(t, it)
			}
		}
	})
}
