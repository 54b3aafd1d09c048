package sources

import (
	"strings"
	"testing"
	"time"

	"github.com/backchannel/backchannel/live"
)

func TestSanitizeHTMLKeepsOnlyMastodonRemoteElements(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"paragraph and emphasis", `<p>Hi <em>there</em> <strong>all</strong></p>`, `<p>Hi <em>there</em> <strong>all</strong></p>`},
		{"script dropped with its content", `<p>a</p><script>alert(1)</script>`, `<p>a</p>`},
		{"link gets rel and target", `<a href="https://example.com/x" class="u-url">x</a>`, `<a href="https://example.com/x" rel="nofollow noopener" target="_blank">x</a>`},
		{"mailto link allowed", `<a href="mailto:a@example.com">mail</a>`, `<a href="mailto:a@example.com" rel="nofollow noopener" target="_blank">mail</a>`},
		{"javascript link dropped", `<a href="javascript:alert(1)">x</a>`, `x`},
		{"images dropped", `<p><img src="https://example.com/a.png" onerror="x()">t</p>`, `<p> t</p>`},
		{"classes and styles dropped", `<span class="h-card" style="color:red">@a</span>`, `<span>@a</span>`},
		{"iframe dropped", `<iframe src="https://evil.example"></iframe>ok`, `ok`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := SanitizeHTML(c.in); got != c.want {
				t.Errorf("SanitizeHTML(%q)\n got %q\nwant %q", c.in, got, c.want)
			}
		})
	}
}

func TestHTMLToTextDecodesEntitiesAndBreaksBlocks(t *testing.T) {
	got := HTMLToText(`<p>Room B is full &amp; overflow</p><p>line<br>two</p>`)
	want := "Room B is full & overflow\n\nline\ntwo"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestNormalizeMediaDropsNonHTTPURLs(t *testing.T) {
	in := []live.Media{
		{Type: "image", URL: "https://a.example/1.jpg", ThumbURL: "javascript:alert(1)"},
		{Type: "image", URL: "data:image/png;base64,AAAA"},
		{Type: "image", URL: "/relative.jpg"},
		{Type: "image", URL: "ftp://a.example/x.jpg"},
		{Type: "image", URL: "http://a.example/2.jpg", ThumbURL: "http://a.example/2t.jpg"},
	}
	got := NormalizeMedia(in)
	if len(got) != 2 || got[0].URL != "https://a.example/1.jpg" || got[0].ThumbURL != "" || got[1].ThumbURL != "http://a.example/2t.jpg" {
		t.Errorf("got %+v", got)
	}
}

func TestNormalizePlainBuildsIDTimesAndEscapedHTML(t *testing.T) {
	created := time.Date(2026, 5, 24, 9, 12, 3, 0, time.FixedZone("EDT", -4*3600))
	now := time.Now()
	it := NormalizePlain("replay", "7", live.Author{Name: "Ana"}, "a <b> & c\r\nnext\x00", "javascript:x", created, now)
	if it.ID != "replay:7" || it.Source != "replay" || it.Kind != live.KindPost {
		t.Errorf("identity wrong: %+v", it)
	}
	if it.Text != "a <b> & c\nnext" || it.HTML != "<p>a &lt;b&gt; &amp; c<br>next</p>" {
		t.Errorf("text %q html %q", it.Text, it.HTML)
	}
	if it.URL != "" {
		t.Errorf("unsafe origin URL kept: %q", it.URL)
	}
	if it.CreatedAt.Location() != time.UTC || !it.CreatedAt.Equal(created) || !it.ReceivedAt.Equal(now.UTC()) {
		t.Errorf("times: created %v received %v", it.CreatedAt, it.ReceivedAt)
	}
	if it.Media == nil {
		t.Errorf("media must be an empty list, not null")
	}
}

func TestNormalizeTextCapsLength(t *testing.T) {
	got := NormalizeText(strings.Repeat("a", maxTextRunes+100))
	if n := len([]rune(got)); n != maxTextRunes+1 {
		t.Errorf("length %d", n)
	}
}
