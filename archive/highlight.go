package archive

import (
	"html"
	"strings"
)

// highlight turns ts_headline output into safe HTML: the whole text is
// escaped, then only the sentinels ts_headline inserted become <mark> tags.
// Unbalanced sentinels are closed so the markup always nests.
func highlight(headline string) string {
	esc := html.EscapeString(headline)
	var b strings.Builder
	open := false
	for _, r := range esc {
		switch string(r) {
		case startSel:
			if !open {
				b.WriteString("<mark>")
				open = true
			}
		case stopSel:
			if open {
				b.WriteString("</mark>")
				open = false
			}
		default:
			b.WriteRune(r)
		}
	}
	if open {
		b.WriteString("</mark>")
	}
	return b.String()
}
