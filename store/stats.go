package store

import (
	"context"
	"fmt"
	"time"

	"github.com/backchannel/backchannel/live"
)

// Statistics of the archive: activity over time, and the rows the top links,
// top posters and photos of a session are counted from. Visible items only.

// SessionBuckets counts an event's visible items per session in n equal
// buckets of each session's window (sessions without items are absent).
func (s *Store) SessionBuckets(ctx context.Context, eventID int64, n int) (map[int64][]int64, error) {
	rows, err := s.conn().QueryContext(ctx, `SELECT i.session_id,
		width_bucket(extract(epoch FROM i.created_at), extract(epoch FROM s.starts_at), extract(epoch FROM s.ends_at), $2) AS b,
		count(*)
		FROM items i JOIN sessions s ON s.id = i.session_id
		WHERE i.event_id = $1 AND i.session_id IS NOT NULL AND `+live.VisibleSQLOf("i")+`
		GROUP BY 1, 2`, eventID, n)
	if err != nil {
		return nil, fmt.Errorf("store: session activity of event %d: %w", eventID, wrap(err))
	}
	defer rows.Close()
	out := map[int64][]int64{}
	for rows.Next() {
		var sid int64
		var b int
		var c int64
		if err := rows.Scan(&sid, &b, &c); err != nil {
			return nil, fmt.Errorf("store: session activity of event %d: %w", eventID, wrap(err))
		}
		if out[sid] == nil {
			out[sid] = make([]int64, n)
		}
		out[sid][min(max(b, 1), n)-1] += c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: session activity of event %d: %w", eventID, wrap(err))
	}
	return out, nil
}

// Activity counts an event's visible items (of one session when sessionID >
// 0) in buckets of width step from start; items before start or at/after
// end are not counted.
func (s *Store) Activity(ctx context.Context, eventID, sessionID int64, start, end time.Time, step time.Duration) ([]int64, error) {
	n := int(end.Sub(start) / step)
	if end.Sub(start)%step != 0 {
		n++
	}
	if n <= 0 {
		return nil, nil
	}
	q := `SELECT floor(extract(epoch FROM created_at - $2) / $4)::int AS b, count(*) FROM items
		WHERE event_id = $1 AND created_at >= $2 AND created_at < $3 AND ` + live.VisibleSQL
	args := []any{eventID, start, end, step.Seconds()}
	if sessionID > 0 {
		q += ` AND session_id = $5`
		args = append(args, sessionID)
	}
	rows, err := s.conn().QueryContext(ctx, q+` GROUP BY 1`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: activity of event %d: %w", eventID, wrap(err))
	}
	defer rows.Close()
	out := make([]int64, n)
	for rows.Next() {
		var b int
		var c int64
		if err := rows.Scan(&b, &c); err != nil {
			return nil, fmt.Errorf("store: activity of event %d: %w", eventID, wrap(err))
		}
		if b >= 0 && b < n {
			out[b] += c
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: activity of event %d: %w", eventID, wrap(err))
	}
	return out, nil
}

// StatRow is what a session's statistics need of one visible item.
type StatRow struct {
	AuthorName, AuthorHandle, AuthorURL string
	// LinkHTML is the item's HTML when it holds a link, else "".
	LinkHTML string
	URL      string
	// Media is the item's media list as stored, nil when empty.
	Media     []byte
	CreatedAt time.Time
}

// EachSessionStatRow calls fn for every visible item of a session in seq
// order, with only what top links, top posters, photos and activity need:
// HTML only when it has a link and media only when not empty travel.
func (s *Store) EachSessionStatRow(ctx context.Context, eventID, sessionID int64, fn func(*StatRow)) error {
	rows, err := s.conn().QueryContext(ctx, `SELECT author_name, author_handle, author_url,
		CASE WHEN strpos(html, '<a') > 0 THEN html ELSE '' END, url,
		CASE WHEN media <> '[]'::jsonb THEN media ELSE NULL END, created_at
		FROM items WHERE event_id = $1 AND session_id = $2 AND `+live.VisibleSQL+` ORDER BY seq`, eventID, sessionID)
	if err != nil {
		return fmt.Errorf("store: statistics of session %d: %w", sessionID, wrap(err))
	}
	defer rows.Close()
	var r StatRow
	for rows.Next() {
		r.Media = nil
		if err := rows.Scan(&r.AuthorName, &r.AuthorHandle, &r.AuthorURL, &r.LinkHTML, &r.URL, &r.Media, &r.CreatedAt); err != nil {
			return fmt.Errorf("store: statistics of session %d: %w", sessionID, wrap(err))
		}
		fn(&r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: statistics of session %d: %w", sessionID, wrap(err))
	}
	return nil
}
