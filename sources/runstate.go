package sources

import (
	"context"
	"fmt"
	"time"

	"github.com/backchannel/backchannel/store"
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

// eventStart is the starts_at of the source's event.
func (r *runner) eventStart(ctx context.Context) (time.Time, error) {
	t, err := store.New(r.m.db).EventStart(ctx, r.src.EventID)
	if err != nil {
		return time.Time{}, fmt.Errorf("sources: %w", err)
	}
	return t, nil
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
