package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
)

// SourceToken is a source's stored token as the database keeps it: sealed
// (package secrets), bound to Host. The plaintext never reaches this package.
type SourceToken struct {
	Ciphertext []byte
	Host       string
	SetAt      time.Time
}

// SourceToken reads a source's stored token; ok is false when it has none.
func (s *Store) SourceToken(ctx context.Context, sourceID int64) (tok SourceToken, ok bool, err error) {
	var row struct {
		TokenCiphertext []byte
		TokenHost       string
		TokenSetAt      *time.Time
	}
	err = s.db.WithContext(ctx).Table("sources").Select("token_ciphertext, token_host, token_set_at").
		Where("id = ?", sourceID).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return tok, false, models.NotFound("source", fmt.Sprint(sourceID))
	}
	if err != nil {
		return tok, false, fmt.Errorf("store: source token %d: %w", sourceID, err)
	}
	if len(row.TokenCiphertext) == 0 {
		return tok, false, nil
	}
	tok = SourceToken{Ciphertext: row.TokenCiphertext, Host: row.TokenHost}
	if row.TokenSetAt != nil {
		tok.SetAt = *row.TokenSetAt
	}
	return tok, true, nil
}

// SetSourceToken stores a sealed token for a source (nil ciphertext clears
// it) and audits the change without the token: call it inside Tx.
func (s *Store) SetSourceToken(ctx context.Context, sourceID int64, tok SourceToken, actor Actor) error {
	var eventID int64
	if err := s.db.WithContext(ctx).Table("sources").Select("event_id").Where("id = ?", sourceID).Take(&eventID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return models.NotFound("source", fmt.Sprint(sourceID))
		}
		return fmt.Errorf("store: source token %d: %w", sourceID, err)
	}
	var setAt any
	action, msg := "clear-token", "token removed"
	if len(tok.Ciphertext) > 0 {
		setAt = tok.SetAt
		action, msg = "set-token", "token set for "+tok.Host
	} else {
		tok = SourceToken{}
	}
	err := s.db.WithContext(ctx).Exec(`UPDATE sources SET token_ciphertext = ?, token_host = ?, token_set_at = ?, updated_at = now() WHERE id = ?`,
		tok.Ciphertext, tok.Host, setAt, sourceID).Error
	if err != nil {
		return fmt.Errorf("store: set source token %d: %w", sourceID, err)
	}
	return s.Audit(ctx, Change{Actor: actor, Action: action, ObjectType: "source", ObjectID: ID(sourceID), EventID: eventID, Message: msg})
}
