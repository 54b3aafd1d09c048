package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// Which talks landed (docs/API.md, "Audience questions and reactions"): the
// reception page's figures per session, the speakers' shareable report
// links, and the live readers sampled by the web nodes.

// SessionReception is one session's figures on the reception page.
type SessionReception struct {
	Posts   int64
	Posters int64
	// Questions and Votes count the visible questions and their votes.
	Questions int64
	Votes     int64
	// Reactions are the session's totals by kind.
	Reactions map[string]int64
	// PeakReaders is the most browsers following the live log in one
	// minute of the session's time (0 when none were sampled).
	PeakReaders int64
}

// Reception returns the figures of every session of an event that has any,
// by session id: four grouped queries, none per session.
func (s *Store) Reception(ctx context.Context, eventID int64) (map[int64]*SessionReception, error) {
	out := map[int64]*SessionReception{}
	get := func(id int64) *SessionReception {
		r := out[id]
		if r == nil {
			r = &SessionReception{Reactions: map[string]int64{}}
			out[id] = r
		}
		return r
	}
	type step struct {
		what string
		sql  string
		scan func(id int64, a, b int64, kind string)
		kind bool
		// index asks for the index-only scan the planner underrates.
		index bool
	}
	steps := []step{
		// Posts per poster, then per session, in the order of
		// items_session_poster_idx: an index-only scan, no sort. The
		// planner guesses far fewer posters than there are and prefers a
		// scan of the whole table with a hash that spills to disk (5× slower
		// measured at 100,000 items, BenchmarkReceptionPage).
		{what: "posts", index: true, sql: `SELECT session_id, sum(n)::bigint, count(*) FROM (
			SELECT session_id, CASE WHEN author_handle <> '' THEN lower(author_handle) ELSE 'name:' || lower(author_name) END AS poster,
			count(*) AS n FROM items WHERE event_id = $1 AND ` + live.VisibleSQL + ` AND session_id IS NOT NULL GROUP BY 1, 2) p
			GROUP BY 1`,
			scan: func(id, a, b int64, _ string) { r := get(id); r.Posts, r.Posters = a, b }},
		{what: "questions", sql: `SELECT session_id, count(*), coalesce(sum(votes), 0) FROM questions
			WHERE event_id = $1 AND session_id IS NOT NULL AND state IN ('open', 'answering', 'answered') GROUP BY 1`,
			scan: func(id, a, b int64, _ string) { r := get(id); r.Questions, r.Votes = a, b }},
		{what: "reactions", kind: true, sql: `SELECT session_id, sum(count), 0, kind FROM reaction_counts
			WHERE event_id = $1 GROUP BY session_id, kind`,
			scan: func(id, a, _ int64, kind string) { get(id).Reactions[kind] = a }},
		{what: "readers", sql: `SELECT s.id, max(r.readers), 0 FROM sessions s JOIN reader_samples r
			ON r.event_id = s.event_id AND r.minute >= date_trunc('minute', s.starts_at) AND r.minute < s.ends_at
			WHERE s.event_id = $1 GROUP BY s.id`,
			scan: func(id, a, _ int64, _ string) { get(id).PeakReaders = a }},
	}
	run := func(q *Store, st step) error {
		rows, err := q.conn().QueryContext(ctx, st.sql, eventID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, a, b int64
			var kind string
			dest := []any{&id, &a, &b}
			if st.kind {
				dest = append(dest, &kind)
			}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			st.scan(id, a, b, kind)
		}
		return rows.Err()
	}
	for _, st := range steps {
		var err error
		if st.index {
			err = s.Tx(ctx, func(tx *Store) error {
				if err := tx.db.WithContext(ctx).Exec(`SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off`).Error; err != nil {
					return err
				}
				return run(tx, st)
			})
		} else {
			err = run(s, st)
		}
		if err != nil {
			return nil, fmt.Errorf("store: reception (%s) of event %d: %w", st.what, eventID, wrap(err))
		}
	}
	return out, nil
}

// SessionReactions returns a session's reaction totals per minute and kind,
// in minute order.
func (s *Store) SessionReactions(ctx context.Context, eventID, sessionID int64) ([]models.ReactionCount, error) {
	var out []models.ReactionCount
	err := s.db.WithContext(ctx).Where("event_id = ? AND session_id = ?", eventID, sessionID).
		Order("minute, kind").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: reactions of session %d: %w", sessionID, wrap(err))
	}
	return out, nil
}

// SessionHighlights returns up to limit of a session's visible posts for
// its report: the pinned ones first, then those with photos, then the
// newest.
func (s *Store) SessionHighlights(ctx context.Context, eventID, sessionID int64, limit int) ([]models.Item, error) {
	var out []models.Item
	err := s.db.WithContext(ctx).Where("event_id = ? AND session_id = ? AND "+live.VisibleSQL, eventID, sessionID).
		Order("pinned DESC, (media <> '[]'::jsonb) DESC, seq DESC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: highlights of session %d: %w", sessionID, wrap(err))
	}
	return out, nil
}

// RecordReaders keeps the most live readers an event had in a minute (the
// web nodes' sum, sampled several times a minute by each node).
func (s *Store) RecordReaders(ctx context.Context, eventID int64, minute time.Time, readers int64) error {
	err := s.db.WithContext(ctx).Exec(`INSERT INTO reader_samples (event_id, minute, readers) VALUES (?, ?, ?)
		ON CONFLICT (event_id, minute) DO UPDATE SET readers = GREATEST(reader_samples.readers, EXCLUDED.readers)`,
		eventID, minute.UTC().Truncate(time.Minute), readers).Error
	if err != nil {
		return fmt.Errorf("store: readers of event %d: %w", eventID, wrap(err))
	}
	return nil
}

// reportTokenBytes is the randomness of a report link: 32 bytes, 43
// characters in the URL, unguessable.
const reportTokenBytes = 32

// CreateReport makes a new shareable report link for a session, audited as
// actor, and returns it.
func (s *Store) CreateReport(ctx context.Context, actor Actor, eventID, sessionID int64) (models.SessionReport, error) {
	var b [reportTokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return models.SessionReport{}, fmt.Errorf("store: report token: %w", err)
	}
	r := models.SessionReport{Token: base64.RawURLEncoding.EncodeToString(b[:]), EventID: eventID, SessionID: sessionID,
		CreatedAt: time.Now().UTC()}
	if actor.UserID != 0 {
		id := actor.UserID
		r.CreatedBy = &id
	}
	err := s.Tx(ctx, func(tx *Store) error {
		if err := tx.db.WithContext(ctx).Create(&r).Error; err != nil {
			return wrap(err)
		}
		return tx.Audit(ctx, Change{Actor: actor, Action: "create", ObjectType: "session_report", ObjectID: ID(sessionID),
			EventID: eventID, After: map[string]any{"session_id": sessionID, "token_tail": tail(r.Token)},
			Message: "shareable report link created"})
	})
	if err != nil {
		return models.SessionReport{}, fmt.Errorf("store: create report of session %d: %w", sessionID, err)
	}
	return r, nil
}

// tail is the end of a token, enough to tell links apart in the audit log
// without making the log a list of working links.
func tail(token string) string {
	if len(token) <= 6 {
		return token
	}
	return "…" + token[len(token)-6:]
}

// RevokeReport revokes a report link of an event, audited as actor; a
// revoked or unknown link is models.NotFound.
func (s *Store) RevokeReport(ctx context.Context, actor Actor, eventID int64, token string) error {
	return s.Tx(ctx, func(tx *Store) error {
		res := tx.db.WithContext(ctx).Model(&models.SessionReport{}).
			Where("token = ? AND event_id = ? AND revoked_at IS NULL", token, eventID).Update("revoked_at", time.Now().UTC())
		if res.Error != nil {
			return wrap(res.Error)
		}
		if res.RowsAffected == 0 {
			return models.NotFound("report link", tail(token))
		}
		return tx.Audit(ctx, Change{Actor: actor, Action: "revoke", ObjectType: "session_report", ObjectID: tail(token),
			EventID: eventID, Message: "shareable report link revoked"})
	})
}

// ReportByToken returns a working report link and its event's slug; a
// revoked or unknown one is models.NotFound.
func (s *Store) ReportByToken(ctx context.Context, token string) (models.SessionReport, string, error) {
	var r models.SessionReport
	err := s.db.WithContext(ctx).Where("token = ? AND revoked_at IS NULL", token).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return r, "", models.NotFound("report", nil)
	}
	if err != nil {
		return r, "", fmt.Errorf("store: report link: %w", wrap(err))
	}
	var slug string
	if err := s.db.WithContext(ctx).Raw(`SELECT slug FROM events WHERE id = ?`, r.EventID).Scan(&slug).Error; err != nil {
		return r, "", fmt.Errorf("store: report link: %w", wrap(err))
	}
	return r, slug, nil
}

// SessionReports returns a session's report links, newest first, revoked
// ones included.
func (s *Store) SessionReports(ctx context.Context, eventID, sessionID int64) ([]models.SessionReport, error) {
	var out []models.SessionReport
	err := s.db.WithContext(ctx).Where("event_id = ? AND session_id = ?", eventID, sessionID).
		Order("created_at DESC").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: report links of session %d: %w", sessionID, wrap(err))
	}
	return out, nil
}
