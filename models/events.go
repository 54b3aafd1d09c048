package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// EventBySlug returns the event with its sessions in time order.
func EventBySlug(ctx context.Context, db *gorm.DB, slug string) (*Event, error) {
	var ev Event
	err := db.WithContext(ctx).
		Preload("Sessions", func(tx *gorm.DB) *gorm.DB { return tx.Order("starts_at, room, slug") }).
		Where("slug = ?", slug).Take(&ev).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, NotFound("event", slug)
	}
	if err != nil {
		return nil, fmt.Errorf("models: event %q: %w", slug, err)
	}
	return &ev, nil
}

// ListEvents returns every event, newest first.
func ListEvents(ctx context.Context, db *gorm.DB) ([]Event, error) {
	var evs []Event
	if err := db.WithContext(ctx).Order("starts_at DESC, id DESC").Find(&evs).Error; err != nil {
		return nil, fmt.Errorf("models: list events: %w", err)
	}
	return evs, nil
}

// EventGroups is the home page's split of events.
type EventGroups struct {
	Now, Upcoming, Past []Event
}

// GroupEvents splits events into now (soonest ending first), upcoming (soonest
// first) and past (most recent first) as of t.
func GroupEvents(evs []Event, t time.Time) EventGroups {
	var g EventGroups
	for _, e := range evs {
		switch e.Phase(t) {
		case "now":
			g.Now = append(g.Now, e)
		case "upcoming":
			g.Upcoming = append([]Event{e}, g.Upcoming...)
		default:
			g.Past = append(g.Past, e)
		}
	}
	return g
}

// SessionCounts returns the number of visible strained items per session id
// of one event (sessions with none are absent).
func SessionCounts(ctx context.Context, db *gorm.DB, eventID int64) (map[int64]int64, error) {
	var rows []struct {
		SessionID int64
		N         int64
	}
	err := db.WithContext(ctx).Raw(`SELECT session_id, count(*) AS n FROM items
		WHERE event_id = ? AND session_id IS NOT NULL AND NOT hidden AND review = 'approved'
		GROUP BY session_id`, eventID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("models: session counts: %w", err)
	}
	out := make(map[int64]int64, len(rows))
	for _, r := range rows {
		out[r.SessionID] = r.N
	}
	return out, nil
}

// VisibleItemCount returns the number of visible strained items of an event.
func VisibleItemCount(ctx context.Context, db *gorm.DB, eventID int64) (int64, error) {
	var n int64
	err := db.WithContext(ctx).Model(&Item{}).
		Where("event_id = ? AND NOT hidden AND review = 'approved'", eventID).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("models: count items: %w", err)
	}
	return n, nil
}
