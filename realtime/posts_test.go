package realtime

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestValidatePostTrimsAndCountsCharactersNotBytes(t *testing.T) {
	name, text, err := ValidatePost("  Ana  ", "\r\n"+strings.Repeat("é", 500)+"  ")
	if err != nil {
		t.Fatalf("ValidatePost: %v", err)
	}
	if name != "Ana" || utf8.RuneCountInString(text) != 500 {
		t.Fatalf("got name %q and %d characters of text", name, utf8.RuneCountInString(text))
	}
	if _, text, _ := ValidatePost("Ana", "line one\r\nline two"); text != "line one\nline two" {
		t.Fatalf("CRLF not normalised: %q", text)
	}
}

func TestValidatePostNamesTheWrongField(t *testing.T) {
	cases := []struct{ name, text, field string }{
		{"", "hello", "name"},
		{"   ", "hello", "name"},
		{strings.Repeat("n", 41), "hello", "name"},
		{"Ana", "", "text"},
		{"Ana", " \n\t ", "text"},
		{"Ana", strings.Repeat("x", 501), "text"},
		{"An\xffa", "hello", "name"},
		{"Ana", "hel\xc3lo", "text"},
		{"An\x00a", "hello", "name"},
		{"Ana\nBob", "hello", "name"},
		{"Ana", "nul\x00byte", "text"},
		{"Ana", "bell\x07", "text"},
	}
	for _, tc := range cases {
		_, _, err := ValidatePost(tc.name, tc.text)
		var pe *PostError
		if !errors.As(err, &pe) {
			t.Errorf("ValidatePost(%q, %q) err = %v, want a *PostError", tc.name, tc.text, err)
			continue
		}
		if pe.Field != tc.field || !strings.Contains(strings.ToLower(pe.Message), tc.field) {
			t.Errorf("ValidatePost(%q, %q) blamed %q (%q), want %q", tc.name, tc.text, pe.Field, pe.Message, tc.field)
		}
	}
}

func TestPostHTMLEscapesEverythingAndLinksURLs(t *testing.T) {
	cases := []struct{ in, want string }{
		{"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"see https://example.org/a?b=1&c=2.", `see <a href="https://example.org/a?b=1&amp;c=2" rel="nofollow noopener">https://example.org/a?b=1&amp;c=2</a>.`},
		{"(http://x.test/p)", `(<a href="http://x.test/p" rel="nofollow noopener">http://x.test/p</a>)`},
		{`"https://e.test/"onmouseover=x`, `&#34;<a href="https://e.test/" rel="nofollow noopener">https://e.test/</a>&#34;onmouseover=x`},
		{"javascript:alert(1) ftp://x.test", "javascript:alert(1) ftp://x.test"},
		{"a\nb", "a<br>b"},
		{"https://.", "https://."},
		{"Http://0 and HTTPS://E.test/X", `<a href="http://0" rel="nofollow noopener">Http://0</a> and <a href="https://E.test/X" rel="nofollow noopener">HTTPS://E.test/X</a>`},
	}
	for _, tc := range cases {
		if got := PostHTML(tc.in); got != tc.want {
			t.Errorf("PostHTML(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}

func TestPostItemIDIsStablePerClientAndKey(t *testing.T) {
	a := PostItemID("client-a", "k1")
	if a != PostItemID("client-a", "k1") {
		t.Fatal("same client and key gave two ids")
	}
	if a == PostItemID("client-b", "k1") || a == PostItemID("client-a", "k2") {
		t.Fatal("different client or key gave the same id")
	}
	if !strings.HasPrefix(a, "room:") {
		t.Fatalf("id %q is not a room id", a)
	}
	if x, y := PostItemID("c", ""), PostItemID("c", ""); x == y {
		t.Fatal("posts without a key share an id")
	}
}

func TestNewPostItemIsARoomPost(t *testing.T) {
	now := time.Date(2026, 5, 24, 9, 12, 3, 0, time.FixedZone("x", 3600))
	it := NewPostItem("room:1", "Ana", "hi <b>", true, now)
	if it.Source != "room" || it.Kind != "post" || it.Author.Name != "Ana" || it.Text != "hi <b>" ||
		it.HTML != "hi &lt;b&gt;" || !it.Held || it.Media == nil || !it.CreatedAt.Equal(now) || it.ReceivedAt.Location() != time.UTC {
		t.Fatalf("unexpected item %+v", it)
	}
}

func FuzzValidatePost(f *testing.F) {
	f.Add("Ana", "hello https://example.org")
	f.Add("", "")
	f.Add("\xff", "x")
	f.Add(strings.Repeat("é", 40), strings.Repeat("€", 500))
	f.Add("a\x00", "<a href=\"javascript:x\">")
	f.Fuzz(func(t *testing.T, name, text string) {
		n, tx, err := ValidatePost(name, text)
		if err != nil {
			var pe *PostError
			if !errors.As(err, &pe) || (pe.Field != "name" && pe.Field != "text") {
				t.Fatalf("error %v does not name a field", err)
			}
			return
		}
		if !utf8.ValidString(n) || !utf8.ValidString(tx) {
			t.Fatal("invalid UTF-8 accepted")
		}
		if c := utf8.RuneCountInString(n); c < 1 || c > MaxPostName {
			t.Fatalf("name of %d characters accepted", c)
		}
		if c := utf8.RuneCountInString(tx); c < 1 || c > MaxPostText {
			t.Fatalf("text of %d characters accepted", c)
		}
		h := PostHTML(tx)
		// Every tag in the HTML is one of ours: a link or a line break.
		rest := strings.NewReplacer("<br>", "", "</a>", "").Replace(h)
		for i := strings.Index(rest, "<"); i >= 0; i = strings.Index(rest, "<") {
			if !strings.HasPrefix(rest[i:], `<a href="http`) {
				t.Fatalf("unexpected markup in %q", h)
			}
			end := strings.Index(rest[i:], ">")
			tag := rest[i : i+end+1]
			if strings.Count(tag, `"`) != 4 || !strings.HasSuffix(tag, `" rel="nofollow noopener">`) {
				t.Fatalf("unexpected tag %q", tag)
			}
			rest = rest[i+end+1:]
		}
	})
}
