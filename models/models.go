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
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Sessions    []Session `gorm:"foreignKey:EventID"`
	Sources     []Source  `gorm:"foreignKey:EventID"`
	QA          string    `gorm:"default:open"`
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

// Session is one talk or slot of an event, in one room.
type Session struct {
	ID        int64
	EventID   int64
	Slug      string
	Title     string
	Speaker   string
	Room      string
	StartsAt  time.Time
	EndsAt    time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Source is one place an event's items come from. Config holds the
// kind-specific fields of the event file, secrets only by name (token_env).
type Source struct {
	ID        int64
	EventID   int64
	Kind      string
	Key       string
	Config    json.RawMessage `gorm:"type:jsonb"`
	Enabled   bool
	CreatedAt time.Time
	UpdatedAt time.Time
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
	Hidden       bool
	Pinned       bool
	Review       string
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
