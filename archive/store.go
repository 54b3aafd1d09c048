package archive

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/microcosm-cc/bluemonday"
	"gorm.io/gorm"

	"github.com/backchannel/backchannel/live"
)

// visibleSQL is the one condition that makes an item public.
const visibleSQL = `NOT hidden AND review = 'approved'`

// itemColumns are read for every item shown, in scanItem's order.
const itemColumns = `seq, source, external_id, kind, author_name, author_handle, author_url, author_avatar,
	text, html, media, url, created_at, received_at, session_id, pinned`

// Store reads visible strained items. It is safe for concurrent use.
type Store struct {
	db     *gorm.DB
	policy *bluemonday.Policy
}

// NewStore returns a Store over db.
func NewStore(db *gorm.DB) *Store {
	return &Store{db: db, policy: newPolicy()}
}

func (s *Store) sql() (*sql.DB, error) {
	d, err := s.db.DB()
	if err != nil {
		return nil, fmt.Errorf("archive: database handle: %w", err)
	}
	return d, nil
}

// Row is a visible item with the id of its session (0 for none).
type Row struct {
	Item      live.Item
	SessionID int64
}

// ItemQuery selects a page of visible items of one event.
type ItemQuery struct {
	EventID int64
	// SessionID limits the page to one session when > 0.
	SessionID int64
	// After is the keyset: only items with seq > After.
	After int64
	// Limit is the page size.
	Limit int
	// Q is a full-text query (websearch syntax) when not empty.
	Q string
	// Desc orders newest first (the first page only: After is ignored).
	Desc bool
}

// Items returns the page described by q, in seq order.
func (s *Store) Items(ctx context.Context, q ItemQuery) ([]Row, error) {
	db, err := s.sql()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	args := []any{q.EventID}
	b.WriteString(`SELECT ` + itemColumns + ` FROM items WHERE event_id = $1 AND ` + visibleSQL)
	if q.SessionID > 0 {
		args = append(args, q.SessionID)
		fmt.Fprintf(&b, ` AND session_id = $%d`, len(args))
	}
	if q.Q != "" {
		args = append(args, q.Q)
		fmt.Fprintf(&b, ` AND search @@ websearch_to_tsquery('english', $%d)`, len(args))
	}
	if q.Desc {
		b.WriteString(` ORDER BY seq DESC`)
	} else {
		args = append(args, q.After)
		fmt.Fprintf(&b, ` AND seq > $%d ORDER BY seq`, len(args))
	}
	args = append(args, q.Limit)
	fmt.Fprintf(&b, ` LIMIT $%d`, len(args))
	rows, err := db.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("archive: items of event %d: %w", q.EventID, err)
	}
	defer rows.Close()
	out := make([]Row, 0, q.Limit)
	for rows.Next() {
		r, err := s.scanItem(rows)
		if err != nil {
			return nil, fmt.Errorf("archive: items of event %d: %w", q.EventID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("archive: items of event %d: %w", q.EventID, err)
	}
	return out, nil
}

// Item returns one visible item, or ok=false when there is none at seq.
func (s *Store) Item(ctx context.Context, eventID, seq int64) (r Row, ok bool, err error) {
	db, err := s.sql()
	if err != nil {
		return r, false, err
	}
	row := db.QueryRowContext(ctx, `SELECT `+itemColumns+` FROM items WHERE event_id = $1 AND seq = $2 AND `+visibleSQL, eventID, seq)
	r, err = s.scanItem(row)
	if err == sql.ErrNoRows {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("archive: item %d of event %d: %w", seq, eventID, err)
	}
	return r, true, nil
}

type scanner interface{ Scan(dest ...any) error }

func (s *Store) scanItem(sc scanner) (Row, error) {
	var r Row
	var it live.Item
	var ext string
	var media []byte
	var session sql.NullInt64
	err := sc.Scan(&it.Seq, &it.Source, &ext, &it.Kind, &it.Author.Name, &it.Author.Handle, &it.Author.URL, &it.Author.AvatarURL,
		&it.Text, &it.HTML, &media, &it.URL, &it.CreatedAt, &it.ReceivedAt, &session, &it.Pinned)
	if err != nil {
		return r, err
	}
	it.ID = it.Source + ":" + ext
	if it.HTML != "" {
		it.HTML = s.policy.Sanitize(it.HTML)
	}
	if len(media) > 0 {
		_ = json.Unmarshal(media, &it.Media) // a malformed list shows no media, never an error page
	}
	if it.Media == nil {
		it.Media = []live.Media{}
	}
	it.CreatedAt, it.ReceivedAt = it.CreatedAt.UTC(), it.ReceivedAt.UTC()
	r.Item, r.SessionID = it, session.Int64
	return r, nil
}

// SessionBuckets counts an event's visible items per session in n equal
// buckets of each session's window (sessions without items are absent).
func (s *Store) SessionBuckets(ctx context.Context, eventID int64, n int) (map[int64][]int64, error) {
	db, err := s.sql()
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT i.session_id,
		width_bucket(extract(epoch FROM i.created_at), extract(epoch FROM s.starts_at), extract(epoch FROM s.ends_at), $2) AS b,
		count(*)
		FROM items i JOIN sessions s ON s.id = i.session_id
		WHERE i.event_id = $1 AND i.session_id IS NOT NULL AND NOT i.hidden AND i.review = 'approved'
		GROUP BY 1, 2`, eventID, n)
	if err != nil {
		return nil, fmt.Errorf("archive: session activity of event %d: %w", eventID, err)
	}
	defer rows.Close()
	out := map[int64][]int64{}
	for rows.Next() {
		var sid int64
		var b int
		var c int64
		if err := rows.Scan(&sid, &b, &c); err != nil {
			return nil, fmt.Errorf("archive: session activity of event %d: %w", eventID, err)
		}
		if out[sid] == nil {
			out[sid] = make([]int64, n)
		}
		out[sid][min(max(b, 1), n)-1] += c
	}
	return out, rows.Err()
}

// Activity counts an event's visible items in buckets of width step from
// start (items before start or at/after end are not counted).
func (s *Store) Activity(ctx context.Context, eventID int64, sessionID int64, start, end time.Time, step time.Duration) ([]int64, error) {
	db, err := s.sql()
	if err != nil {
		return nil, err
	}
	n := int(end.Sub(start) / step)
	if end.Sub(start)%step != 0 {
		n++
	}
	if n <= 0 {
		return nil, nil
	}
	q := `SELECT floor(extract(epoch FROM created_at - $2) / $4)::int AS b, count(*) FROM items
		WHERE event_id = $1 AND created_at >= $2 AND created_at < $3 AND ` + visibleSQL
	args := []any{eventID, start, end, step.Seconds()}
	if sessionID > 0 {
		q += ` AND session_id = $5`
		args = append(args, sessionID)
	}
	rows, err := db.QueryContext(ctx, q+` GROUP BY 1`, args...)
	if err != nil {
		return nil, fmt.Errorf("archive: activity of event %d: %w", eventID, err)
	}
	defer rows.Close()
	out := make([]int64, n)
	for rows.Next() {
		var b int
		var c int64
		if err := rows.Scan(&b, &c); err != nil {
			return nil, fmt.Errorf("archive: activity of event %d: %w", eventID, err)
		}
		if b >= 0 && b < n {
			out[b] += c
		}
	}
	return out, rows.Err()
}

// Hit is one search result: the item and its text with the matched words
// highlighted (see highlight).
type Hit struct {
	Row
	// Snippet is safe HTML: escaped text with <mark> around matches.
	Snippet string
}

// Sentinels ts_headline puts around matches; stripped from the text first,
// so the only ones in its output are its own.
const (
	startSel = "\uE000"
	stopSel  = "\uE001"
)

// Search returns visible items of an event matching q (websearch syntax,
// English stemming), in seq order after the keyset.
func (s *Store) Search(ctx context.Context, eventID int64, q string, after int64, limit int) ([]Hit, error) {
	db, err := s.sql()
	if err != nil {
		return nil, err
	}
	// The headline is computed in the outer query, so only for the page's
	// rows, not for every match the inner query sorts.
	rows, err := db.QueryContext(ctx, `SELECT `+itemColumns+`,
		ts_headline('english', replace(replace(text, $5, ''), $6, ''), websearch_to_tsquery('english', $2),
			'StartSel=`+startSel+`, StopSel=`+stopSel+`, MaxWords=40, MinWords=15, MaxFragments=3, FragmentDelimiter=" … "')
		FROM (SELECT `+itemColumns+` FROM items
			WHERE event_id = $1 AND search @@ websearch_to_tsquery('english', $2) AND seq > $3 AND `+visibleSQL+`
			ORDER BY seq LIMIT $4) page
		ORDER BY seq`, eventID, q, after, limit, startSel, stopSel)
	if err != nil {
		return nil, fmt.Errorf("archive: search event %d: %w", eventID, err)
	}
	defer rows.Close()
	var out []Hit
	for rows.Next() {
		var h Hit
		var headline string
		var ext string
		var media []byte
		var session sql.NullInt64
		it := &h.Item
		if err := rows.Scan(&it.Seq, &it.Source, &ext, &it.Kind, &it.Author.Name, &it.Author.Handle, &it.Author.URL, &it.Author.AvatarURL,
			&it.Text, &it.HTML, &media, &it.URL, &it.CreatedAt, &it.ReceivedAt, &session, &it.Pinned, &headline); err != nil {
			return nil, fmt.Errorf("archive: search event %d: %w", eventID, err)
		}
		it.ID = it.Source + ":" + ext
		it.HTML = s.policy.Sanitize(it.HTML)
		_ = json.Unmarshal(media, &it.Media)
		it.CreatedAt, it.ReceivedAt = it.CreatedAt.UTC(), it.ReceivedAt.UTC()
		h.SessionID = session.Int64
		h.Snippet = highlight(headline)
		out = append(out, h)
	}
	return out, rows.Err()
}
