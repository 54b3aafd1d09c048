package views

// SiteName is appended to every document title.
const SiteName = "Backchannel"

func documentTitle(title string) string {
	if title == "" || title == SiteName {
		return SiteName
	}
	return title + " · " + SiteName
}

// SiteNav is the public navigation; current is the Href of the page shown
// ("" for none).
func SiteNav(current string) []NavLink {
	return markCurrent([]NavLink{{Label: "Events", Href: "/"}}, current)
}

// EventNav is the navigation of an event's pages: all events, the live page,
// the wall and the archive. current is the Href of the page shown.
func EventNav(e EventCardVM, current string) []NavLink {
	return markCurrent([]NavLink{
		{Label: "Events", Href: "/"},
		{Label: "Live", Href: e.URL()},
		{Label: "Wall", Href: e.WallURL()},
		{Label: "Archive", Href: e.ArchiveURL()},
	}, current)
}

func markCurrent(links []NavLink, current string) []NavLink {
	for i := range links {
		links[i].Current = links[i].Href == current
	}
	return links
}
