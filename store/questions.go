package store

import (
	"context"
	"fmt"

	"github.com/backchannel/backchannel/live"
	"github.com/backchannel/backchannel/models"
)

// Questions as Postgres keeps them once strained (the live log holds them
// before): the moderation verbs' writes and the archive's reads.

// StoredQuestion is a questions row with its session's slug.
type StoredQuestion struct {
	models.Question `gorm:"embedded"`
	SessionSlug     string
}

// Live maps a row to the question as the API shows it.
func (q StoredQuestion) Live() live.Question {
	out := live.Question{ID: q.ID, Session: q.SessionSlug, Text: q.Text, Name: q.Name, Votes: q.Votes,
		State: q.State, CreatedAt: q.CreatedAt}
	if q.MergedInto != nil {
		out.MergedInto = *q.MergedInto
	}
	return out
}

const questionSelect = `SELECT q.*, COALESCE(s.slug, '') AS session_slug
FROM questions q LEFT JOIN sessions s ON s.id = q.session_id `

// LockQuestion returns a stored question and holds its row until the
// transaction ends; ok is false when Postgres does not hold it (yet).
func (s *Store) LockQuestion(ctx context.Context, eventID, id int64) (q StoredQuestion, ok bool, err error) {
	err = s.db.WithContext(ctx).Raw(questionSelect+`WHERE q.event_id = ? AND q.id = ? FOR UPDATE OF q`, eventID, id).Scan(&q).Error
	if err != nil {
		return q, false, fmt.Errorf("store: question %d of event %d: %w", id, eventID, wrap(err))
	}
	return q, q.ID == id, nil
}

// QuestionByID returns a stored question, or models.NotFound.
func (s *Store) QuestionByID(ctx context.Context, eventID, id int64) (StoredQuestion, error) {
	var q StoredQuestion
	if err := s.db.WithContext(ctx).Raw(questionSelect+`WHERE q.event_id = ? AND q.id = ?`, eventID, id).Scan(&q).Error; err != nil {
		return q, fmt.Errorf("store: question %d of event %d: %w", id, eventID, wrap(err))
	}
	if q.ID != id {
		return q, models.NotFound("question", id)
	}
	return q, nil
}

// SetQuestionState sets a stored question's state (a merged one stays
// merged) and returns whether a row changed.
func (s *Store) SetQuestionState(ctx context.Context, eventID, id int64, state string) (bool, error) {
	res := s.db.WithContext(ctx).Exec(`UPDATE questions SET state = ?, updated_at = now()
		WHERE event_id = ? AND id = ? AND merged_into IS NULL AND state <> ?`, state, eventID, id, state)
	if res.Error != nil {
		return false, fmt.Errorf("store: set question %d of event %d %s: %w", id, eventID, state, wrap(res.Error))
	}
	return res.RowsAffected > 0, nil
}

// AnsweredBefore marks answered the session's questions being answered
// other than except, as the live log does when except becomes the one
// being answered; it returns their ids.
func (s *Store) AnsweredBefore(ctx context.Context, eventID int64, session string, except int64) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Raw(`UPDATE questions q SET state = 'answered', updated_at = now()
		FROM sessions s WHERE s.id = q.session_id AND s.event_id = ? AND s.slug = ?
		  AND q.event_id = ? AND q.state = 'answering' AND q.id <> ?
		RETURNING q.id`, eventID, session, eventID, except).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("store: answered questions of session %q: %w", session, wrap(err))
	}
	return ids, nil
}

// MergeQuestions hides dup as merged into target and gives target every
// voter of dup (each once), recounting it. Rows Postgres does not hold yet
// are left to the strainer, which applies the merge in log order.
func (s *Store) MergeQuestions(ctx context.Context, eventID, dup, target int64) error {
	db := s.db.WithContext(ctx)
	if err := db.Exec(sqlMergeQuestion, eventID, dup, target).Error; err != nil {
		return fmt.Errorf("store: merge question %d into %d: %w", dup, target, wrap(err))
	}
	if err := db.Exec(sqlCopyVoters, eventID, dup, target).Error; err != nil {
		return fmt.Errorf("store: merge voters of %d into %d: %w", dup, target, wrap(err))
	}
	if err := db.Exec(sqlCountVotes, eventID, []int64{target}).Error; err != nil {
		return fmt.Errorf("store: count votes of %d: %w", target, wrap(err))
	}
	return nil
}

// SessionQuestions returns the questions of a session in id order,
// visible ones only unless all.
func (s *Store) SessionQuestions(ctx context.Context, eventID, sessionID int64, all bool) ([]StoredQuestion, error) {
	q := questionSelect + `WHERE q.event_id = ? AND q.session_id = ?`
	if !all {
		q += ` AND q.state IN ('open', 'answering', 'answered')`
	}
	var out []StoredQuestion
	if err := s.db.WithContext(ctx).Raw(q+` ORDER BY q.id`, eventID, sessionID).Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("store: questions of session %d: %w", sessionID, wrap(err))
	}
	return out, nil
}

// EventQuestions returns every visible question of an event, in session
// then id order (the exports).
func (s *Store) EventQuestions(ctx context.Context, eventID int64) ([]StoredQuestion, error) {
	var out []StoredQuestion
	err := s.db.WithContext(ctx).Raw(questionSelect+`WHERE q.event_id = ? AND q.state IN ('open', 'answering', 'answered')
		ORDER BY s.starts_at NULLS LAST, q.id`, eventID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: questions of event %d: %w", eventID, wrap(err))
	}
	return out, nil
}

// EventSessions returns an event's sessions in time order (the question
// console's session picker, the reception page).
func (s *Store) EventSessions(ctx context.Context, eventID int64) ([]models.Session, error) {
	var out []models.Session
	if err := s.db.WithContext(ctx).Where("event_id = ?", eventID).Order("starts_at, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("store: sessions of event %d: %w", eventID, wrap(err))
	}
	return out, nil
}
