package jobs

import (
	"context"

	"github.com/backchannel/backchannel/live"
)

// LiveLog is the part of *realtime.Log the strainer reads and trims. It is an
// interface so the strainer does not depend on how the log is stored.
type LiveLog interface {
	// Head returns the log's epoch and highest seq (0 for an empty log).
	Head(ctx context.Context, eventID int64) (epoch string, head int64, err error)
	// Range returns up to limit entries with seq > after, ascending.
	Range(ctx context.Context, eventID int64, after int64, limit int) ([]live.Entry, error)
	// Trim drops entries with seq <= upTo.
	Trim(ctx context.Context, eventID int64, upTo int64) error
	// Compact drops the item states of all but the newest keep public items.
	Compact(ctx context.Context, eventID int64, keep int) (dropped int64, err error)
	// Events lists the events that have a live log.
	Events(ctx context.Context) ([]int64, error)
}
