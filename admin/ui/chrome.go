package ui

// Chrome is what every admin page's layout shows around its content,
// computed per request by package auth (auth.Chrome).
type Chrome struct {
	Title   string
	Account string // the signed-in email; "" when anonymous
	CSRF    string // the token every form carries
	Flash   []string
	Crumbs  []Crumb
	Main    []NavLink // the top navigation, limited to what the account may do
	// EventTitle and EventNav, when set, show the navigation inside one event.
	EventTitle string
	EventNav   []NavLink
}

// Page is what a handler says about its page; auth.Chrome turns it into
// the Chrome for the signed-in account.
type Page struct {
	Title  string
	Crumbs []Crumb
	// EventID and EventTitle, when set, add that event's navigation.
	EventID    int64
	EventTitle string
	// Section marks the current navigation entry ("events", "moderate", …).
	Section string
}

// Crumb is one step of the breadcrumb trail.
type Crumb struct {
	Label string
	Href  string
}

// NavLink is one entry of a navigation bar.
type NavLink struct {
	Label   string
	Href    string
	Current bool
}

// MenuEntry declares one navigation entry and the permission it needs; the
// admin declares its menus once (package admin) and auth shows each account
// the entries it may use.
type MenuEntry struct {
	Label   string
	Path    string // under /admin for the main menu, under /admin/events/{id} for an event's
	Perm    string
	Section string
}

// Home is the trail's first step.
var Home = Crumb{Label: "Admin", Href: "/admin/"}
