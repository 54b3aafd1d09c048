package sources

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/rueidis"

	"github.com/backchannel/backchannel/models"
)

// setNotice records a lasting condition for the dashboard ("" clears it).
func (r *runner) setNotice(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.st.Notice != s {
		r.st.Notice = s
		r.dirty = true
	}
}

// backfilled counts n items appended by the from-the-start backfill.
func (r *runner) backfilled(n int64, done bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.st.Backfilled += n
	r.st.BackfillDone = r.st.BackfillDone || done
	r.dirty = true
}

// cursorField reads a field of the source's cursor hash ("" when absent).
// Adapters keep there what must survive a takeover besides the cursor.
func (r *runner) cursorField(ctx context.Context, field string) (string, error) {
	c := r.m.redis
	v, err := c.Do(ctx, c.B().Hget().Key(r.m.k.cursor(r.src.ID)).Field(field).Build()).ToString()
	if rueidis.IsRedisNil(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("sources: read %s of source %d: %w", field, r.src.ID, err)
	}
	return v, nil
}

// setCursorField writes a field of the source's cursor hash. It is written
// after the appends it describes: Redis's AOF replays writes in order, so
// the field never survives a crash that lost those appends.
func (r *runner) setCursorField(ctx context.Context, field, value string) error {
	c := r.m.redis
	if err := c.Do(ctx, c.B().Hset().Key(r.m.k.cursor(r.src.ID)).FieldValue().FieldValue(field, value).Build()).Error(); err != nil {
		return fmt.Errorf("sources: save %s of source %d: %w", field, r.src.ID, err)
	}
	return nil
}

// eventStart is the starts_at of the source's event.
func (r *runner) eventStart(ctx context.Context) (time.Time, error) {
	var ev models.Event
	if err := r.m.db.WithContext(ctx).Select("starts_at").Where("id = ?", r.src.EventID).Take(&ev).Error; err != nil {
		return time.Time{}, fmt.Errorf("sources: starts_at of event %d: %w", r.src.EventID, err)
	}
	return ev.StartsAt, nil
}

// recentIDs remembers the last n item IDs a runner appended (or found
// already appended), so re-reading a window it has just read costs no Redis
// round trip per item. It only saves work: the live log's dedupe stays the
// rule, and a runner that starts afresh simply asks the log again.
type recentIDs struct {
	set  map[string]struct{}
	ring []string
	next int
}

func newRecentIDs(n int) *recentIDs {
	return &recentIDs{set: make(map[string]struct{}, n), ring: make([]string, n)}
}

func (s *recentIDs) has(id string) bool { _, ok := s.set[id]; return ok }

func (s *recentIDs) add(id string) {
	if s.has(id) {
		return
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.set, old)
	}
	s.ring[s.next] = id
	s.set[id] = struct{}{}
	s.next = (s.next + 1) % len(s.ring)
}
