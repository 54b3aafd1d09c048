package models

import "time"

// Question is a strained audience question (its ID is the seq of the
// live-log entry that asked it). Name nil is anonymous.
type Question struct {
	EventID    int64 `gorm:"primaryKey;autoIncrement:false"`
	ID         int64 `gorm:"primaryKey;autoIncrement:false"`
	SessionID  *int64
	Text       string
	Name       *string
	State      string
	Votes      int64
	MergedInto *int64
	CreatedAt  time.Time `gorm:"autoCreateTime:false"`
	UpdatedAt  time.Time
}

// ReactionCount is a session's total of one kind of reaction in one minute.
type ReactionCount struct {
	EventID   int64     `gorm:"primaryKey;autoIncrement:false"`
	SessionID int64     `gorm:"primaryKey;autoIncrement:false"`
	Minute    time.Time `gorm:"primaryKey"`
	Kind      string    `gorm:"primaryKey"`
	Count     int64
}

// SessionReport is a speaker's shareable report link (/r/{token}).
type SessionReport struct {
	Token     string `gorm:"primaryKey"`
	EventID   int64
	SessionID int64
	CreatedBy *int64
	CreatedAt time.Time
	RevokedAt *time.Time
}
