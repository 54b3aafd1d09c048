package models

import (
	"encoding/json"
	"time"
)

// Posting modes: whether attendees may post into the room.
const (
	PostingOpen      = "open"
	PostingModerated = "moderated"
	PostingClosed    = "closed"
)

// Moderation modes for source items.
const (
	ModerationAfter  = "after"  // shown at once, hidden later if need be
	ModerationBefore = "before" // held until a moderator approves
)

// Audience question modes of an event (events.qa).
const (
	QAOpen      = "open"      // questions are shown at once
	QAModerated = "moderated" // held until a moderator approves
	QAClosed    = "closed"    // no new questions
)

// Review states of an item.
const (
	ReviewApproved = "approved"
	ReviewPending  = "pending"
	ReviewRejected = "rejected"
)

// Kinds of moderation rule.
const (
	RuleAuthor = "author" // a handle or display name
	RuleWord   = "word"   // a word or phrase, matched as whole words
	// RuleAllow trusts an author (a handle or display name, as RuleAuthor
	// matches): their items skip the held queue.
	RuleAllow = "allow"
	// RuleClient bans a room poster's browser: the client id the server
	// issued it, hashed (never the name they typed).
	RuleClient = "client"
	// RuleAddress bans a room poster's address, for a time (a venue's
	// attendees often share one).
	RuleAddress = "address"
)

// Wall layouts, contents and themes of an event (Event.WallLayout, …).
const (
	WallColumns = "columns" // columns of cards, as many as the screen holds
	WallMasonry = "masonry" // cards of every height packed in columns

	WallMixed  = "mixed"  // posts and photos
	WallPhotos = "photos" // only items with photos or video
	WallText   = "text"   // posts without their media

	ThemeDark  = "dark"
	ThemeLight = "light"
)

// What pages do with sensitive media (Event.SensitiveMedia).
const (
	SensitiveBlur = "blur" // shown blurred (the live page reveals it on a click)
	SensitiveHold = "hold" // held for a moderator at ingest
)

// Roles a user can hold on one event.
const (
	RoleOrganizer = "organizer"
	RoleModerator = "moderator"
)

// User is an account of the admin.
type User struct {
	ID           int64
	Email        string
	PasswordHash string
	IsSuperuser  bool
	IsActive     bool
	LastLoginAt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// TOTPSecret is the second factor's secret, sealed (nil: none);
	// TOTPEnabledAt when it was turned on.
	TOTPSecret    []byte     `gorm:"column:totp_secret"`
	TOTPEnabledAt *time.Time `gorm:"column:totp_enabled_at"`
	// PasswordChangedAt and EmailChangedAt are set by the database whenever
	// either changes, whichever path changed it.
	PasswordChangedAt *time.Time
	EmailChangedAt    *time.Time
}

// SecurityEvent is one line of the security log: a sign-in, a failure, a
// sign-out, an ended session, a second-factor change or a refused request.
type SecurityEvent struct {
	ID        int64
	At        time.Time
	Kind      string
	UserID    *int64
	Email     string
	IP        string `gorm:"column:ip"`
	UserAgent string
	Detail    string
}

// TableName maps SecurityEvent to the security_log table.
func (SecurityEvent) TableName() string { return "security_log" }

// EventRole gives a user a role on one event.
type EventRole struct {
	UserID    int64 `gorm:"primaryKey"`
	EventID   int64 `gorm:"primaryKey"`
	Role      string
	CreatedAt time.Time
}

// Event is a conference, a class or anything with a live stream.
type Event struct {
	ID          int64
	Slug        string
	Title       string
	Description string
	Hashtag     string
	Timezone    string
	StartsAt    time.Time
	EndsAt      time.Time
	Posting     string
	Moderation  string
	// The wall (docs/API.md, "The wall"): layout, content, theme, speed (at
	// most one new item every WallSpeed seconds; 0 shows each at once),
	// logo and accent colour ("#rrggbb" or "").
	WallLayout  string `gorm:"default:columns"`
	WallContent string `gorm:"default:mixed"`
	WallTheme   string `gorm:"default:dark"`
	WallSpeed   int
	WallLogoURL string
	WallAccent  string
	// SensitiveMedia is SensitiveBlur or SensitiveHold.
	SensitiveMedia string `gorm:"default:blur"`
	// EmbedOrigins lists, one per line, the origins (https://example.org)
	// whose pages may frame the wall and the live page; empty: none may.
	EmbedOrigins string
	// ReportThreshold is how many attendees' reports hold an item for
	// review (0: reports never hold).
	ReportThreshold int `gorm:"default:3"`
	// Blocklist applies the default blocklist (on unless turned off).
	Blocklist bool `gorm:"default:true"`
	// Filters at ingest for every source of the event.
	IngestFilter `gorm:"embedded"`
	// ScheduleURL and ScheduleFormat are where the schedule was last
	// imported from (a re-sync fetches it again); empty when never.
	ScheduleURL    string
	ScheduleFormat string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Rooms          []Room    `gorm:"foreignKey:EventID"`
	Sessions       []Session `gorm:"foreignKey:EventID"`
	Sources        []Source  `gorm:"foreignKey:EventID"`
	// QA is the audience questions setting: open, moderated or closed.
	QA string `gorm:"default:open"`
}

// RoomByID returns the event's room with id, or nil (rooms must be loaded).
func (e *Event) RoomByID(id *int64) *Room {
	if id == nil {
		return nil
	}
	for i := range e.Rooms {
		if e.Rooms[i].ID == *id {
			return &e.Rooms[i]
		}
	}
	return nil
}

// Location returns the event's time zone (UTC if the stored name is unknown).
func (e *Event) Location() *time.Location {
	if loc, err := time.LoadLocation(e.Timezone); err == nil {
		return loc
	}
	return time.UTC
}

// Phase says whether the event is "now", "upcoming" or "past" at t.
func (e *Event) Phase(t time.Time) string {
	switch {
	case t.Before(e.StartsAt):
		return "upcoming"
	case t.Before(e.EndsAt):
		return "now"
	default:
		return "past"
	}
}

// Room is one room of an event. Sessions in different rooms may overlap.
type Room struct {
	ID        int64
	EventID   int64
	Slug      string
	Name      string
	Position  int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Session is one talk or slot of an event, in one room.
type Session struct {
	ID      int64
	EventID int64
	Slug    string
	Title   string
	Speaker string
	// RoomID is the session's room (nil: no room). Room is that room when
	// the store loaded it alongside (EventBySlug does); GORM never writes it.
	RoomID *int64
	Room   *Room `gorm:"-"`
	Track  string
	// Tags are hashtags or words a post carries to belong to this session.
	Tags StringList `gorm:"type:jsonb"`
	// SpeakerHandles are the speakers' handles in each network's form:
	// Mastodon @user@host, Bluesky handle.bsky.social, X @user.
	SpeakerHandles StringList `gorm:"type:jsonb"`
	// ScheduleID is the schedule's own id of the session (pretalx, frab,
	// iCalendar UID); a re-import matches sessions by it.
	ScheduleID string
	StartsAt   time.Time
	EndsAt     time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// RoomSlug is the slug of the session's room ("" when none or not loaded).
func (s *Session) RoomSlug() string {
	if s.Room == nil {
		return ""
	}
	return s.Room.Slug
}

// RoomName is the name of the session's room ("" when none or not loaded).
func (s *Session) RoomName() string {
	if s.Room == nil {
		return ""
	}
	return s.Room.Name
}

// Source is one place an event's items come from. Config holds the
// kind-specific fields of the event file, secrets only by name (token_env).
type Source struct {
	ID      int64
	EventID int64
	Kind    string
	Key     string
	Config  json.RawMessage `gorm:"type:jsonb"`
	Enabled bool
	// Filters at ingest for this source, on top of its event's.
	IngestFilter `gorm:"embedded"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// IngestFilter drops items at ingest (they are kept hidden, so moderators
// and archives can still find them): replies, reposts, posts of bot
// accounts, sensitive-marked posts, and posts in other languages than
// FilterLanguages (comma-separated ISO 639-1 codes; empty keeps all, and an
// item whose language is unknown is always kept).
type IngestFilter struct {
	FilterReplies   bool
	FilterReposts   bool
	FilterBots      bool
	FilterSensitive bool
	FilterLanguages string
}

// Item is a strained item: a row the archive pages read.
type Item struct {
	EventID      int64 `gorm:"primaryKey;autoIncrement:false"`
	Seq          int64 `gorm:"primaryKey;autoIncrement:false"`
	Source       string
	SourceID     *int64
	ExternalID   string
	Kind         string
	AuthorName   string
	AuthorHandle string
	AuthorURL    string
	AuthorAvatar string
	Text         string
	HTML         string          `gorm:"column:html"`
	Media        json.RawMessage `gorm:"type:jsonb"`
	URL          string
	CreatedAt    time.Time `gorm:"autoCreateTime:false"`
	ReceivedAt   time.Time
	SessionID    *int64
	// Placement is the rule that placed the item (PlacedBy… constants).
	Placement string
	// FromSessionID is the session whose page an attendee posted from.
	FromSessionID *int64
	Hidden        bool
	Pinned        bool
	Review        string
	// Meta is live.Meta as JSON: sensitive marks, content warning, labels,
	// language, reply/repost/bot, link card, sealed poster.
	Meta json.RawMessage `gorm:"type:jsonb;default:'{}'"`
	// Search is the generated full-text vector; GORM never writes it.
	Search string `gorm:"->;-:migration"`
}

// ModerationRule blocks an author or a word in one event: matching items are
// hidden at ingest.
type ModerationRule struct {
	ID        int64
	EventID   int64
	Kind      string // RuleAuthor or RuleWord
	Value     string
	Note      string
	CreatedBy *int64
	CreatedAt time.Time
	// ExpiresAt ends the rule (nil: it lasts until lifted).
	ExpiresAt *time.Time
}

// Active reports whether the rule counts at t (it has not expired).
func (r ModerationRule) Active(t time.Time) bool { return r.ExpiresAt == nil || t.Before(*r.ExpiresAt) }

// ItemReport is one attendee's report of an item.
type ItemReport struct {
	EventID   int64  `gorm:"primaryKey;autoIncrement:false"`
	Seq       int64  `gorm:"primaryKey;autoIncrement:false"`
	Reporter  string `gorm:"primaryKey"`
	Reason    string
	CreatedAt time.Time
}

// AuditEntry is one change recorded in the audit log.
type AuditEntry struct {
	ID         int64
	UserID     *int64
	Actor      string
	Action     string
	ObjectType string
	ObjectID   string
	EventID    *int64
	Before     json.RawMessage `gorm:"type:jsonb"`
	After      json.RawMessage `gorm:"type:jsonb"`
	Message    string
	CreatedAt  time.Time
}

// TableName maps AuditEntry to the audit_log table.
func (AuditEntry) TableName() string { return "audit_log" }

// StrainerCursor is how far the strainer copied one event's live log.
type StrainerCursor struct {
	EventID   int64 `gorm:"primaryKey;autoIncrement:false"`
	Epoch     string
	Seq       int64
	UpdatedAt time.Time
}

// LogOp is a non-add entry of the live log kept in Postgres by the strainer.
type LogOp struct {
	EventID int64 `gorm:"primaryKey;autoIncrement:false"`
	Seq     int64 `gorm:"primaryKey;autoIncrement:false"`
	Op      string
	Target  int64
}

// Placements: the rule that put an item in its session (items.placement).
const (
	PlacedNone      = ""          // outside every session's window
	PlacedAmbiguous = "ambiguous" // several parallel sessions could claim it: "to place"
	PlacedByTag     = "tag"       // it carries one session's tags or words
	PlacedByHandle  = "handle"    // written by or mentioning one session's speaker
	PlacedByPage    = "page"      // an attendee posted it from the session's page
	PlacedByTime    = "time"      // the only session whose window holds its time
	PlacedManually  = "manual"    // a moderator placed it; re-assignment keeps it
)
