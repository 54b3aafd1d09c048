package views

// Page is what the base layout needs to know about a page.
type Page struct {
	// Title is the document title; the layout appends " · Backchannel".
	Title string
	// Description is the meta description (omitted when empty).
	Description string
	// Canonical is the page's absolute canonical URL (omitted when empty).
	Canonical string
	// BodyClass is added to <body>, e.g. "page-live" or "page-wall".
	BodyClass string
	// Nav is the site navigation; an empty Nav shows only the site name.
	Nav []NavLink
	// Scripts are script URLs (usually Assets().URL("live.js")), loaded
	// deferred in this order.
	Scripts []string
	// Styles are extra stylesheet URLs after app.css.
	Styles []string
	// Bare drops the site header and footer (the projector wall).
	Bare bool
	// NoIndex asks search engines not to index the page (admin, errors).
	NoIndex bool
}

// NavLink is one entry of the site navigation.
type NavLink struct {
	Label string
	Href  string
	// Current marks the link to the page being shown (aria-current="page").
	Current bool
}
