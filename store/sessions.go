package store

import (
	"context"
	"fmt"

	"github.com/backchannel/backchannel/live"
)

// SessionCounts returns the number of visible strained items per session id
// of one event (sessions with none are absent).
func (s *Store) SessionCounts(ctx context.Context, eventID int64) (map[int64]int64, error) {
	rows, err := s.conn().QueryContext(ctx, `SELECT session_id, count(*) FROM items
		WHERE event_id = $1 AND session_id IS NOT NULL AND `+live.VisibleSQL+`
		GROUP BY session_id`, eventID)
	if err != nil {
		return nil, fmt.Errorf("store: session counts of event %d: %w", eventID, wrap(err))
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("store: session counts of event %d: %w", eventID, wrap(err))
		}
		out[id] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: session counts of event %d: %w", eventID, wrap(err))
	}
	return out, nil
}

// SessionSignature identifies the set of a session's visible items: it
// changes when an item is added, hidden, shown or moved to another session
// (the archive caches a session's statistics under it).
func (s *Store) SessionSignature(ctx context.Context, eventID, sessionID int64) (string, error) {
	var n, last, h int64
	err := s.conn().QueryRowContext(ctx, `SELECT count(*), coalesce(max(seq), 0), coalesce(sum(hashint8(seq)), 0)
		FROM items WHERE event_id = $1 AND session_id = $2 AND `+live.VisibleSQL, eventID, sessionID).Scan(&n, &last, &h)
	if err != nil {
		return "", fmt.Errorf("store: signature of session %d: %w", sessionID, wrap(err))
	}
	return fmt.Sprintf("%d.%d.%d", n, last, h), nil
}
