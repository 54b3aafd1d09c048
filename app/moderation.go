package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/moderation"
)

// postModeration applies an event's blocked authors and words to attendee
// posts, the same rules sources apply at ingest. Rules are cached a few
// seconds per event so a burst of posts reads them once, and the last good
// copy outlives Postgres: while Postgres cannot be reached, posts are
// judged by the rules last read (docs/ARCHITECTURE.md, "When Postgres is
// down"), and Postgres is asked again once per ttl.
type postModeration struct {
	db     *gorm.DB
	ttl    time.Duration
	logger *slog.Logger

	mu    sync.Mutex
	rules map[int64]cachedRules
}

type cachedRules struct {
	rules   moderation.Rules
	expires time.Time
	stale   bool // Postgres failed since these rules were read
}

func newPostModeration(db *gorm.DB, ttl time.Duration, logger *slog.Logger) *postModeration {
	return &postModeration{db: db, ttl: ttl, logger: logger, rules: make(map[int64]cachedRules)}
}

// Apply marks it hidden when its author or words are blocked. Holding for
// review is decided by the event's posting mode, not by source moderation.
// When the rules were never read on this node and Postgres cannot be
// reached, the post is held for a moderator rather than shown unjudged.
func (m *postModeration) Apply(ctx context.Context, eventID int64, it *live.Item) error {
	now := time.Now()
	m.mu.Lock()
	c, ok := m.rules[eventID]
	m.mu.Unlock()
	if !ok || now.After(c.expires) {
		rules, err := moderation.Load(ctx, m.db, eventID)
		switch {
		case err == nil:
			c = cachedRules{rules: rules, expires: now.Add(m.ttl)}
		case ok:
			if !c.stale {
				m.logger.Warn("posts: moderation rules unavailable; judging by the last good copy", "event", eventID, "err", err)
			}
			c = cachedRules{rules: c.rules, expires: now.Add(m.ttl), stale: true}
		default:
			m.logger.Warn("posts: moderation rules unavailable and never read here; holding the post for a moderator", "event", eventID, "err", err)
			it.Held = true
			return nil
		}
		m.mu.Lock()
		m.rules[eventID] = c
		m.mu.Unlock()
	}
	r := c.rules
	r.HoldAll = false
	r.Apply(it)
	return nil
}
