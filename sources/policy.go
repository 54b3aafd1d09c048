package sources

import "github.com/microcosm-cc/bluemonday"

// remotePolicy returns the sanitizer for HTML from other servers. It is as
// tight as Mastodon's own policy for remote content: a few inline and block
// elements, links only to http, https and mailto, always nofollow noopener and
// opened in a new tab; no classes, styles, images, iframes or scripts.
func remotePolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "span", "del", "s", "pre", "blockquote", "code",
		"b", "strong", "u", "i", "em", "ul", "ol", "li")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(false)
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AddSpaceWhenStrippingTag(true)
	return p
}
