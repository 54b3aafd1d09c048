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
	// OpApprove shows a held item and records the approval (review
	// "approved"); clients treat it as unhide.
	OpApprove = "approve"
	// OpReject takes an item off every public view for good (review
	// "rejected"); clients treat it as hide.
	OpReject = "reject"
	// OpHold takes an item off public views until a moderator decides
	// (review "pending"); clients treat it as hide.
	OpHold = "hold"
	// OpSpotlight asks every wall of the event (or of one room) to show
	// the item on screen now; Entry.Spotlight says for how long. It changes
	// no item and is not kept in Postgres.
	OpSpotlight = "spotlight"
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
// Type is "image" or "video"; for a video, URL is the video and ThumbURL its
// poster frame (what the wall shows, and the live page before play).
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
	// Rejected marks an item a moderator rejected (review "rejected"). It
	// is never serialised: the live log carries a rejection as its own op,
	// and FromRow also sets Hidden for it.
	Rejected bool `json:"-"`

	// Sensitive says the source marked the item's media sensitive
	// (Mastodon's sensitive, X's possibly_sensitive, a Bluesky label): walls
	// and live pages blur it.
	Sensitive bool `json:"sensitive,omitempty"`
	// ContentWarning is the author's warning (Mastodon's spoiler_text):
	// pages show it first and the content behind it.
	ContentWarning string `json:"content_warning,omitempty"`
	// Labels are the source's labels of the item (Bluesky self-labels such
	// as "porn" or "graphic-media").
	Labels []string `json:"labels,omitempty"`
	// Language is the item's language as the source says it (ISO 639-1,
	// e.g. "en"), "" when unknown.
	Language string `json:"language,omitempty"`
	// Reply, Repost and Bot say the item answers another post, shares
	// another's post, or comes from an account marked as automated.
	Reply  bool `json:"reply,omitempty"`
	Repost bool `json:"repost,omitempty"`
	Bot    bool `json:"bot,omitempty"`
	// Card is the preview of the first link of the item, fetched by the
	// server (absent until fetched, or when the link has none).
	Card *Card `json:"card,omitempty"`
	// Poster identifies an attendee who posted from the room: their
	// browser and address, sealed by the server (opaque, and different for
	// every post), so a ban can follow them whatever name they type.
	Poster string `json:"poster,omitempty"`
}

// Takedown reports whether op takes its target off public views (hide,
// reject, hold): such an entry carries no item, and clients drop the target.
func Takedown(op string) bool { return op == OpHide || op == OpReject || op == OpHold }

// Card is a link's preview from its page's og: and twitter: meta tags.
// URLs are http(s) only; texts are plain.
type Card struct {
	URL         string `json:"url"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	ImageURL    string `json:"image_url,omitempty"`
	SiteName    string `json:"site_name,omitempty"`
}

// Spotlight is what a spotlight entry asks of the walls: show its item on
// screen until Until (Seconds after the moderator asked; 0 ends the current
// spotlight), on every wall of the event or only on Room's.
type Spotlight struct {
	Seconds int       `json:"seconds"`
	Room    string    `json:"room,omitempty"`
	Until   time.Time `json:"until"`
}

// Poster is who posted from the room as the server knows them: the client
// id it issued to their browser and their address. It never leaves the
// server unsealed.
type Poster struct {
	Client  string
	Address string
}

// SensitiveLabels are the labels that make an item sensitive (Bluesky's
// self-labels for adult and graphic content).
var SensitiveLabels = map[string]bool{"porn": true, "sexual": true, "nudity": true, "graphic-media": true, "gore": true}

// NeedsCare reports whether pages must not show the item's content at a
// glance: its media is marked sensitive, a label says so, or it carries a
// content warning.
func (it Item) NeedsCare() bool {
	if it.Sensitive || it.ContentWarning != "" {
		return true
	}
	for _, l := range it.Labels {
		if SensitiveLabels[l] {
			return true
		}
	}
	return false
}

// Entry is one record of the live log. Item is set for add, update, unhide,
// approve, pin, unpin and spotlight; Target (the item's seq) for every op but add.
// Spotlight is set for a spotlight. Audience entries (live/audience.go)
// carry their Session and Target (the question) with Question (question,
// qa_state), Votes (votes) or Minute and Counts (reactions).
type Entry struct {
	Seq       int64      `json:"seq"`
	Op        string     `json:"op"`
	Item      *Item      `json:"item,omitempty"`
	Target    int64      `json:"target,omitempty"`
	Spotlight *Spotlight `json:"spotlight,omitempty"`

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
