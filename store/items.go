package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// The archive's reads of strained items: pages, search, permalinks and
// exports. Every query here reads visible items only (live.VisibleSQL), so
// no archive surface can show a hidden, pending or rejected one.

// itemColumns are read for every item shown, in scanItem's order.
const itemColumns = `seq, source, external_id, kind, author_name, author_handle, author_url, author_avatar,
	text, html, media, url, created_at, received_at, session_id, pinned, hidden, review`

// conn is the connection (or transaction) under the store, for hand-written SQL.
func (s *Store) conn() gorm.ConnPool { return s.db.Statement.ConnPool }

// ItemQuery selects a page of visible items of one event.
type ItemQuery struct {
	EventID int64
	// SessionID limits the page to one session when > 0.
	SessionID int64
	// SessionIDs, when not nil, limits the page to these sessions (a room's
	// or a track's); an empty list selects nothing.
	SessionIDs []int64
	// After is the keyset: only items with seq > After.
	After int64
	// Limit is the page size.
	Limit int
	// Q is a full-text query (websearch syntax) when not empty.
	Q string
	// Desc orders newest first (the first page only: After is ignored).
	Desc bool
	// Unplaced limits the page to items in no session created in
	// [From, To): the posts of a time slot nobody could place.
	Unplaced bool
	From, To time.Time
}

// Items returns the visible items q selects, in seq order (newest first
// with Desc). Map them with live.FromRow.
func (s *Store) Items(ctx context.Context, q ItemQuery) ([]models.Item, error) {
	var b strings.Builder
	args := []any{q.EventID}
	b.WriteString(`SELECT ` + itemColumns + ` FROM items WHERE event_id = $1 AND ` + live.VisibleSQL)
	if q.SessionID > 0 {
		args = append(args, q.SessionID)
		fmt.Fprintf(&b, ` AND session_id = $%d`, len(args))
	}
	if q.SessionIDs != nil {
		args = append(args, q.SessionIDs)
		fmt.Fprintf(&b, ` AND session_id = ANY($%d)`, len(args))
	}
	if q.Unplaced {
		args = append(args, q.From, q.To)
		fmt.Fprintf(&b, ` AND session_id IS NULL AND created_at >= $%d AND created_at < $%d`, len(args)-1, len(args))
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
	rows, err := s.conn().QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("store: items of event %d: %w", q.EventID, wrap(err))
	}
	defer rows.Close()
	out := make([]models.Item, 0, q.Limit)
	for rows.Next() {
		var it models.Item
		if err := scanItem(rows, &it); err != nil {
			return nil, fmt.Errorf("store: items of event %d: %w", q.EventID, wrap(err))
		}
		it.EventID = q.EventID
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: items of event %d: %w", q.EventID, wrap(err))
	}
	return out, nil
}

// VisibleItem returns the visible item at seq, or an error matching
// models.NotFound("post", seq) when there is none (or it is not public).
func (s *Store) VisibleItem(ctx context.Context, eventID, seq int64) (models.Item, error) {
	var it models.Item
	row := s.conn().QueryRowContext(ctx, `SELECT `+itemColumns+` FROM items WHERE event_id = $1 AND seq = $2 AND `+live.VisibleSQL, eventID, seq)
	err := scanItem(row, &it)
	if errors.Is(err, sql.ErrNoRows) {
		return it, models.NotFound("post", seq)
	}
	if err != nil {
		return it, fmt.Errorf("store: item %d of event %d: %w", seq, eventID, wrap(err))
	}
	it.EventID = eventID
	return it, nil
}

// VisibleItemCount returns the number of visible strained items of an event.
func (s *Store) VisibleItemCount(ctx context.Context, eventID int64) (int64, error) {
	var n int64
	err := s.conn().QueryRowContext(ctx, `SELECT count(*) FROM items WHERE event_id = $1 AND `+live.VisibleSQL, eventID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count items of event %d: %w", eventID, wrap(err))
	}
	return n, nil
}

// UnplacedCount counts the visible items in no session created in
// [from, to): a time slot's posts nobody could place.
func (s *Store) UnplacedCount(ctx context.Context, eventID int64, from, to time.Time) (int64, error) {
	var n int64
	err := s.conn().QueryRowContext(ctx, `SELECT count(*) FROM items WHERE event_id = $1 AND session_id IS NULL
		AND created_at >= $2 AND created_at < $3 AND `+live.VisibleSQL, eventID, from, to).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: count unplaced items of event %d: %w", eventID, wrap(err))
	}
	return n, nil
}

type scanner interface{ Scan(dest ...any) error }

// scanItem reads itemColumns into it.
func scanItem(sc scanner, it *models.Item) error {
	var media []byte
	var session sql.NullInt64
	err := sc.Scan(&it.Seq, &it.Source, &it.ExternalID, &it.Kind, &it.AuthorName, &it.AuthorHandle, &it.AuthorURL, &it.AuthorAvatar,
		&it.Text, &it.HTML, &media, &it.URL, &it.CreatedAt, &it.ReceivedAt, &session, &it.Pinned, &it.Hidden, &it.Review)
	if err != nil {
		return err
	}
	it.Media = media
	if session.Valid {
		id := session.Int64
		it.SessionID = &id
	}
	it.CreatedAt, it.ReceivedAt = it.CreatedAt.UTC(), it.ReceivedAt.UTC()
	return nil
}

// Hit is one search result: the item and ts_headline's text of it, with
// SearchStart and SearchStop around each matched word.
type Hit struct {
	Item     models.Item
	Headline string
}

// Sentinels ts_headline puts around matches; stripped from the text first,
// so the only ones in its output are its own.
const (
	SearchStart = "\uE000"
	SearchStop  = "\uE001"
)

// Search returns visible items of an event matching q (websearch syntax,
// English stemming), in seq order after the keyset.
func (s *Store) Search(ctx context.Context, eventID int64, q string, after int64, limit int) ([]Hit, error) {
	// The headline is computed in the outer query, so only for the page's
	// rows, not for every match the inner query sorts.
	rows, err := s.conn().QueryContext(ctx, `SELECT `+itemColumns+`,
		ts_headline('english', replace(replace(text, $5, ''), $6, ''), websearch_to_tsquery('english', $2),
			'StartSel=`+SearchStart+`, StopSel=`+SearchStop+`, MaxWords=40, MinWords=15, MaxFragments=3, FragmentDelimiter=" … "')
		FROM (SELECT `+itemColumns+` FROM items
			WHERE event_id = $1 AND search @@ websearch_to_tsquery('english', $2) AND seq > $3 AND `+live.VisibleSQL+`
			ORDER BY seq LIMIT $4) page
		ORDER BY seq`, eventID, q, after, limit, SearchStart, SearchStop)
	if err != nil {
		return nil, fmt.Errorf("store: search event %d: %w", eventID, wrap(err))
	}
	defer rows.Close()
	var out []Hit
	for rows.Next() {
		var h Hit
		if err := scanItem(headlineScanner{rows, &h.Headline}, &h.Item); err != nil {
			return nil, fmt.Errorf("store: search event %d: %w", eventID, wrap(err))
		}
		h.Item.EventID = eventID
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: search event %d: %w", eventID, wrap(err))
	}
	return out, nil
}

// headlineScanner scans itemColumns and then the headline.
type headlineScanner struct {
	sc       scanner
	headline *string
}

func (h headlineScanner) Scan(dest ...any) error { return h.sc.Scan(append(dest, h.headline)...) }
