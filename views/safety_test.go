package views

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"golang.org/x/net/html"

	"github.com/backchannel/backchannel/live"
)

func hostileItem() live.Item {
	it := testItem(7, "x", "")
	it.Author.Name = `<script>alert("name")</script>`
	it.Author.Handle = `"><img src=x onerror=alert(1)>`
	it.Author.URL = "javascript:alert(1)"
	it.Author.AvatarURL = "javascript:alert(2)"
	it.Text = `<script>alert("text")</script>`
	it.URL = "data:text/html,<script>alert(3)</script>"
	it.Media = []live.Media{
		{Type: "image", URL: "javascript:alert(4)", ThumbURL: "javascript:alert(5)"},
		{Type: "image", URL: " JAVASCRIPT:alert(6)"},
		{Type: "image", URL: "//evil.example/relative.png"},
		{Type: "image", URL: "https://ok.example/full.jpg", ThumbURL: "vbscript:x"},
	}
	return it
}

func TestScriptInANameOrTextIsInert(t *testing.T) {
	vm := NewEventVM(testEvent(), LiveSnapshot{Items: []live.Item{hostileItem()}}, testNow)
	doc, raw := renderDoc(t, EventLive(vm))
	doc.Find("script").Each(func(_ int, s *goquery.Selection) {
		if s.AttrOr("src", "") == "" {
			t.Errorf("inline script in page: %q", s.Text())
		}
	})
	it := doc.Find("#item-7")
	if it.Find(".name").Text() != `<script>alert("name")</script>` || it.Find(".item-body").Text() != `<script>alert("text")</script>` {
		t.Errorf("hostile text not shown as text: %q", it.Text())
	}
	if it.Find("img[onerror]").Length() != 0 || strings.Contains(raw, "<img src=x") {
		t.Error("handle broke out of its element")
	}
}

func TestNonHTTPURLsAreDroppedFromItems(t *testing.T) {
	vm := NewItemVM(hostileItem(), time.UTC)
	if vm.AuthorURL != "" || vm.AvatarURL != "" || vm.URL != "" {
		t.Errorf("unsafe URLs kept: %+v", vm)
	}
	if len(vm.Photos) != 1 || vm.Photos[0].URL != "https://ok.example/full.jpg" || vm.Photos[0].ThumbURL != "https://ok.example/full.jpg" {
		t.Errorf("photos %+v, want only the https one (thumb falling back to full)", vm.Photos)
	}
	_, raw := renderDoc(t, ItemCard(vm, testNow))
	if strings.Contains(strings.ToLower(raw), "javascript:") || strings.Contains(raw, "data:text") {
		t.Errorf("unsafe URL rendered: %s", raw)
	}
}

func TestOnlyTheSanitizedHTMLFieldIsRenderedRaw(t *testing.T) {
	it := testItem(8, "ana", "plain <b>text</b>")
	it.HTML = `<p>Hello <a href="https://example.org" rel="nofollow noopener">link</a></p>`
	doc, _ := renderDoc(t, ItemCard(NewItemVM(it, time.UTC), testNow))
	if doc.Find(".item-body p a").AttrOr("href", "") != "https://example.org" {
		t.Error("sanitized HTML not rendered as HTML")
	}
	it.HTML = ""
	doc, _ = renderDoc(t, ItemCard(NewItemVM(it, time.UTC), testNow))
	if doc.Find(".item-body b").Length() != 0 || doc.Find(".item-body").Text() != "plain <b>text</b>" {
		t.Error("plain text rendered as HTML")
	}
}

// The app sends a CSP without 'unsafe-inline': pages must carry no inline
// script, no event handler attribute, no style element or attribute.
func TestPagesNeedNoInlineScriptOrStyle(t *testing.T) {
	wall := NewWallVM(testEvent(), LiveSnapshot{Items: []live.Item{hostileItem(), testItem(1, "a", "b")}}, "https://bc.example", testNow)
	pages := map[string][]byte{}
	for name, raw := range map[string]string{
		"home":  renderString(t, Home(HomeVM{})),
		"live":  renderString(t, EventLive(liveVM())),
		"wall":  renderString(t, Wall(wall)),
		"error": renderString(t, ErrorPage(500, "x")),
	} {
		pages[name] = []byte(raw)
		z := html.NewTokenizer(strings.NewReader(raw))
		inScript := false
		for {
			tt := z.Next()
			if tt == html.ErrorToken {
				break
			}
			tok := z.Token()
			switch {
			case tt == html.TextToken && inScript && strings.TrimSpace(tok.Data) != "":
				t.Errorf("%s: inline script %q", name, tok.Data)
			case tt == html.StartTagToken || tt == html.SelfClosingTagToken:
				if tok.Data == "style" {
					t.Errorf("%s: <style> element", name)
				}
				inScript = tok.Data == "script"
				for _, a := range tok.Attr {
					if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
						t.Errorf("%s: <%s %s=%q>", name, tok.Data, a.Key, a.Val)
					}
				}
			case tt == html.EndTagToken:
				inScript = false
			}
		}
	}
	if len(pages) != 4 {
		t.Fatal("pages not rendered")
	}
}

func renderString(t *testing.T, c templ.Component) string {
	t.Helper()
	_, raw := renderDoc(t, c)
	return raw
}

func TestSafeHTTPURL(t *testing.T) {
	cases := map[string]string{
		"https://a.example/x.png":   "https://a.example/x.png",
		"HTTP://a.example/":         "http://a.example/",
		" https://a.example/p?q=1 ": "https://a.example/p?q=1",
		"javascript:alert(1)":       "",
		"JavaScript:alert(1)":       "",
		"data:image/png;base64,AA":  "",
		"//a.example/x":             "",
		"/relative":                 "",
		"https:opaque":              "",
		"ftp://a.example/":          "",
		"":                          "",
	}
	for in, want := range cases {
		if got := SafeHTTPURL(in); got != want {
			t.Errorf("SafeHTTPURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSafeHTTPURL(f *testing.F) {
	for _, s := range []string{"https://a.example/", "javascript:alert(1)", "http://[::1]:80/x", "\x00http://x", "https://a b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := SafeHTTPURL(s)
		if got == "" {
			return
		}
		p, err := url.Parse(got)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			t.Fatalf("SafeHTTPURL(%q) = %q is not an absolute http(s) URL", s, got)
		}
	})
}

var elementOpen = regexp.MustCompile(`<(script|style|iframe|object|embed)\b`)

func FuzzItemCardKeepsRemoteFieldsInert(f *testing.F) {
	f.Add(`<script>x</script>`, `<iframe src=x>`, "javascript:alert(1)")
	f.Add(`"><style>*{}</style>`, "\xff\xfe", "https://ok.example/a.png")
	f.Fuzz(func(t *testing.T, name, text, media string) {
		it := testItem(1, "a", text)
		it.Author.Name, it.Author.Handle, it.Author.AvatarURL = name, name, media
		it.Media = []live.Media{{Type: "image", URL: media, Alt: name}}
		_, raw := renderDoc(t, ItemCard(NewItemVM(it, time.UTC), testNow))
		if m := elementOpen.FindString(raw); m != "" {
			t.Fatalf("remote field produced %q in %s", m, raw)
		}
	})
}
