package app

import (
	"context"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/moderation"
)

// postModeration applies an event's blocked authors and words to attendee
// posts, the same rules sources apply at ingest. Rules are cached a few
// seconds per event so a burst of posts reads them once.
type postModeration struct {
	db  *gorm.DB
	ttl time.Duration

	mu    sync.Mutex
	rules map[int64]cachedRules
}

type cachedRules struct {
	rules   moderation.Rules
	expires time.Time
}

func newPostModeration(db *gorm.DB, ttl time.Duration) *postModeration {
	return &postModeration{db: db, ttl: ttl, rules: make(map[int64]cachedRules)}
}

// Apply marks it hidden when its author or words are blocked. Holding for
// review is decided by the event's posting mode, not by source moderation.
func (m *postModeration) Apply(ctx context.Context, eventID int64, it *live.Item) error {
	now := time.Now()
	m.mu.Lock()
	c, ok := m.rules[eventID]
	m.mu.Unlock()
	if !ok || now.After(c.expires) {
		rules, err := moderation.Load(ctx, m.db, eventID)
		if err != nil {
			return err
		}
		c = cachedRules{rules: rules, expires: now.Add(m.ttl)}
		m.mu.Lock()
		m.rules[eventID] = c
		m.mu.Unlock()
	}
	r := c.rules
	r.HoldAll = false
	r.Apply(it)
	return nil
}
