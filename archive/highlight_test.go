package archive

import (
	"strings"
	"testing"
)

func TestHighlightEscapesTextAndKeepsOnlyItsMarks(t *testing.T) {
	got := highlight("a <b>" + startSel + "talks" + stopSel + "</b> & " + startSel + "x")
	want := "a &lt;b&gt;<mark>talks</mark>&lt;/b&gt; &amp; <mark>x</mark>"
	if got != want {
		t.Fatalf("highlight = %q, want %q", got, want)
	}
}

func FuzzHighlight(f *testing.F) {
	for _, s := range []string{"", "plain", "<script>alert(1)</script>", startSel + "a" + stopSel, stopSel + startSel + startSel, "<mark>x</mark>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := highlight(s)
		rest := strings.ReplaceAll(strings.ReplaceAll(out, "<mark>", ""), "</mark>", "")
		if strings.ContainsAny(rest, "<>\"") {
			t.Fatalf("highlight(%q) = %q lets markup through", s, out)
		}
		if strings.Count(out, "<mark>") != strings.Count(out, "</mark>") {
			t.Fatalf("highlight(%q) = %q has unbalanced marks", s, out)
		}
	})
}

func FuzzLinksIn(f *testing.F) {
	for _, s := range []string{`<a href="https://a.example/x">x</a>`, `<a href='javascript:alert(1)'>x</a>`, `<a class="mention" href="https://m/@a">@a</a>`, `<a`, ``} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, l := range linksIn(s, "") {
			if !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") {
				t.Fatalf("linksIn(%q) returned %q", s, l)
			}
		}
	})
}
