package live

import "time"

// Ops an entry of the live log can carry.
const (
	OpAdd    = "add"
	OpHide   = "hide"
	OpUnhide = "unhide"
	OpPin    = "pin"
	OpUnpin  = "unpin"
	OpUpdate = "update"
)

// Item kinds.
const (
	KindPost  = "post"
	KindPhoto = "photo"
)

// SourceRoom is the source of attendees' own posts.
const SourceRoom = "room"

// Author is who wrote an item, as the public API shows it.
type Author struct {
	Name      string `json:"name"`
	Handle    string `json:"handle,omitempty"`
	URL       string `json:"url,omitempty"`
	AvatarURL string `json:"avatar_url,omitempty"`
}

// Media is one picture or video attached to an item. URLs are http(s) only.
type Media struct {
	Type     string `json:"type"`
	URL      string `json:"url"`
	ThumbURL string `json:"thumb_url,omitempty"`
	Alt      string `json:"alt,omitempty"`
}

// Item is one post or photo in an event's stream, exactly as the Live API
// (docs/API.md) serialises it. ID is "source:external id" and is the dedupe key.
type Item struct {
	Seq        int64     `json:"seq"`
	ID         string    `json:"id"`
	Source     string    `json:"source"`
	Kind       string    `json:"kind"`
	Author     Author    `json:"author"`
	Text       string    `json:"text"`
	HTML       string    `json:"html"`
	URL        string    `json:"url,omitempty"`
	Media      []Media   `json:"media"`
	CreatedAt  time.Time `json:"created_at"`
	ReceivedAt time.Time `json:"received_at"`
	Session    string    `json:"session,omitempty"`
	// Room is the slug of the session's room, so a page can follow one room.
	Room   string `json:"room,omitempty"`
	Pinned bool   `json:"pinned"`
	// FromSession is the session whose page an attendee posted from: an
	// input of session assignment (docs/API.md), kept for re-assignment.
	FromSession string `json:"from_session,omitempty"`
	// Placed marks a moderator's placement in Session (an update op of the
	// moderation verb Place): it outlives every automatic re-assignment.
	Placed bool `json:"placed,omitempty"`
	// Hidden is set on items blocked at ingest by a moderation rule: they are
	// logged (so archives and moderators see them) but never shown.
	Hidden bool `json:"hidden,omitempty"`
	// Held marks items waiting for approval (events moderated before display).
	Held bool `json:"held,omitempty"`
}

// Entry is one record of the live log. Item is set for add, update, unhide,
// pin and unpin; Target (the item's seq) for hide and every op but add.
// Audience entries (live/audience.go) carry their Session and Target (the
// question) with Question (question, qa_state), Votes (votes) or Minute and
// Counts (reactions).
type Entry struct {
	Seq    int64  `json:"seq"`
	Op     string `json:"op"`
	Item   *Item  `json:"item,omitempty"`
	Target int64  `json:"target,omitempty"`

	Session  string           `json:"session,omitempty"`
	Question *Question        `json:"question,omitempty"`
	Votes    *int64           `json:"votes,omitempty"`
	Minute   string           `json:"minute,omitempty"`
	Counts   map[string]int64 `json:"counts,omitempty"`

	// Voter and Delta are a votes entry's private part: who voted (a digest
	// of the client cookie) and +1 or -1. The log keeps them beside the
	// entry, never in it, so no client ever receives them; the strainer
	// reads them to keep one row per voter. A votes entry without a Voter
	// is a merge's new count.
	Voter string `json:"-"`
	Delta int    `json:"-"`
}
