package archive

import (
	"time"

	"github.com/backchannel/backchannel/views"
)

// EventArchiveVM is an event's archive page.
type EventArchiveVM struct {
	Event    views.EventCardVM
	Total    int64
	Activity Chart
	Sessions []SessionRowVM
	// Unassigned counts visible items outside every session window.
	Unassigned int64
	Links      Links
	Canonical  string
	// Scopes are the event's rooms and tracks with their feeds and exports.
	Scopes []ScopeLinkVM
	// Scope names the room or track this archive shows ("" for all).
	Scope string
}

// ScopeLinkVM is a room or a track of the archive page: its feed and exports.
type ScopeLinkVM struct {
	Kind                                 string // "room" or "track"
	Label                                string
	Archive, Feed, ExportJSON, ExportCSV string
}

// UnplacedVM is a slot of parallel sessions' posts nobody could place
// (docs/API.md, Session assignment): shown under the slot, not hidden and
// not given to a random talk.
type UnplacedVM struct {
	Start, End time.Time
	Count      int64
	// Items are the newest of them.
	Items []views.ItemVM
	Now   time.Time
}

// SessionRowVM is one session of the archive page.
type SessionRowVM struct {
	Session views.SessionVM
	Count   int64
	Spark   Chart
	// Unplaced, on the last session of a slot of parallel sessions, holds
	// the slot's posts nobody could place.
	Unplaced *UnplacedVM
}

// Links are the URLs an event's archive pages point to.
type Links struct {
	Archive, Search, Feed, ExportJSON, ExportCSV string
}

// SessionPageVM is one session's conversation, one keyset page of it.
type SessionPageVM struct {
	Event   views.EventCardVM
	Session views.SessionVM
	Items   []views.ItemVM
	Total   int64
	// FirstURL is set when this is not the first page.
	FirstURL string
	// NextURL is set when more items follow.
	NextURL    string
	Photos     []views.PhotoVM
	TopLinks   []LinkCount
	TopPosters []PosterCount
	Activity   Chart
	FeedURL    string
	Links      Links
	Canonical  string
	Now        time.Time
}

// LinkCount is a link shared in a session and how many items shared it.
type LinkCount struct {
	URL   string
	Host  string
	Count int
}

// PosterCount is an author and how many items they posted in a session.
type PosterCount struct {
	Name   string
	Handle string
	URL    string
	Count  int
}

// ItemPageVM is an item's permalink page.
type ItemPageVM struct {
	Event views.EventCardVM
	Item  views.ItemVM
	// Session is the item's session (nil when it is in none).
	Session   *views.SessionVM
	Links     Links
	Canonical string
	Now       time.Time
}

// SearchVM is the search page of an event.
type SearchVM struct {
	Event   views.EventCardVM
	Query   string
	Hits    []HitVM
	NextURL string
	Links   Links
	Now     time.Time
}

// HitVM is one search result.
type HitVM struct {
	Item views.ItemVM
	// Snippet is safe HTML (escaped text with <mark> around matches).
	Snippet   string
	Permalink string
}
