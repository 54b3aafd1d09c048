package linkcard

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/backchannel/backchannel/internal/testenv"
	"github.com/backchannel/backchannel/outbound"
)

func TestParseReadsOpenGraphThenTwitterThenTheTitle(t *testing.T) {
	base, _ := url.Parse("https://blog.example/posts/1")
	cases := []struct {
		name, page                        string
		title, desc, image, site, cardURL string
	}{
		{"open graph", `<html><head><title>Ignored</title>
			<meta property="og:title" content="The &amp; talk"><meta property="og:description" content="  What we
			learned  "><meta property="og:image" content="/img/cover.png"><meta property="og:site_name" content="Blog">
			<meta property="og:url" content="https://blog.example/p/1"></head><body><meta property="og:title" content="late"></body>`,
			"The & talk", "What we learned", "https://blog.example/img/cover.png", "Blog", "https://blog.example/p/1"},
		{"twitter tags", `<head><meta name="twitter:title" content="T"><meta name="twitter:image" content="https://cdn.example/t.jpg"><meta name="description" content="d"></head>`,
			"T", "d", "https://cdn.example/t.jpg", "", "https://blog.example/posts/1"},
		{"title only", `<head><title> A   page </title></head>`, "A page", "", "", "", "https://blog.example/posts/1"},
		{"unsafe image", `<head><title>x</title><meta property="og:image" content="javascript:alert(1)"></head>`,
			"x", "", "", "", "https://blog.example/posts/1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Parse([]byte(c.page), base)
			if got == nil || got.Title != c.title || got.Description != c.desc || got.ImageURL != c.image || got.SiteName != c.site || got.URL != c.cardURL {
				t.Fatalf("Parse = %+v", got)
			}
		})
	}
	if Parse([]byte(`<html><body>no head at all</body></html>`), base) != nil {
		t.Error("a page without a title has a card")
	}
}

func TestFirstLinkSkipsTrailingPunctuation(t *testing.T) {
	for in, want := range map[string]string{
		"slides at https://conf.example/s/1. Thanks!": "https://conf.example/s/1",
		"(see https://a.example/x)":                   "https://a.example/x",
		"no link here, javascript:alert(1)":           "",
	} {
		if got := FirstLink(in); got != want {
			t.Errorf("FirstLink(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestACardIsFetchedOnceThroughTheOutboundClientAndCached(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/image.png" {
			w.Header().Set("Content-Type", "image/png")
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<head><meta property="og:title" content="Keynote slides"></head>`)
	}))
	defer srv.Close()
	rdb := testenv.NewRedis(t)
	host := strings.TrimPrefix(srv.URL, "http://")
	f := New(outbound.NewClient(outbound.Policy{AllowPrivate: []string{host}}), rdb.Client, rdb.Namespace)
	ctx := context.Background()
	for range 3 {
		c, err := f.Card(ctx, srv.URL+"/slides")
		if err != nil || c == nil || c.Title != "Keynote slides" {
			t.Fatalf("Card = %+v, %v", c, err)
		}
	}
	if c, err := f.Card(ctx, srv.URL+"/image.png"); c != nil || err != nil {
		t.Fatalf("an image has a card: %+v, %v", c, err)
	}
	if _, _ = f.Card(ctx, srv.URL+"/image.png"); hits.Load() != 2 {
		t.Errorf("%d fetches; want one per link", hits.Load())
	}
	// Without the allowance, the outbound client refuses a loopback host.
	strict := New(outbound.NewClient(outbound.Policy{}), nil, "")
	if _, err := strict.Card(ctx, srv.URL+"/other"); err == nil {
		t.Error("a loopback link was fetched")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`<head><title>t</title><meta property="og:image" content="/a.png"></head>`))
	f.Add([]byte(`<meta name="twitter:title" content="x"><meta property="og:url" content="//evil.example">`))
	f.Add([]byte("<title>\xff\x00 bad</title>"))
	f.Add([]byte(`<head><meta property="og:title" content="` + strings.Repeat("é", 500) + `"></head>`))
	base, _ := url.Parse("https://site.example/p")
	f.Fuzz(func(t *testing.T, page []byte) {
		c := Parse(page, base)
		if c == nil {
			return
		}
		if c.Title == "" || !utf8.ValidString(c.Title) || utf8.RuneCountInString(c.Title) > maxTitle ||
			utf8.RuneCountInString(c.Description) > maxDescription {
			t.Fatalf("bad card text: %+v", c)
		}
		for _, u := range []string{c.URL, c.ImageURL} {
			if u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				t.Fatalf("non-http(s) URL %q", u)
			}
		}
	})
}
