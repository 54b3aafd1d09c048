package archive

import "github.com/microcosm-cc/bluemonday"

// newPolicy is the archive's HTML policy: the elements Mastodon keeps from
// remote content, http(s) links only, marked nofollow noopener and opened in
// a new tab. Anything else (script, img, on* attributes, style) is dropped.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "span", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i", "em", "ul", "ol", "li")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https")
	p.RequireParseableURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(false)
	p.AddTargetBlankToFullyQualifiedLinks(false)
	p.AllowElements("a")
	return p
}
