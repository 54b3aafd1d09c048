package admin

import (
	"encoding/json"
	"fmt"
	"strconv"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
)

// Actor is who made a change: a signed-in user or a named tool ("cli").
type Actor struct {
	UserID int64
	Name   string
}

// writeAudit records one change in tx, the transaction that makes it, so the
// log never claims a change that did not happen nor misses one that did.
func writeAudit(tx *gorm.DB, who Actor, action, objectType string, objectID int64, eventID *int64, before, after any, message string) error {
	e := models.AuditEntry{
		Actor: who.Name, Action: action, ObjectType: objectType,
		ObjectID: strconv.FormatInt(objectID, 10), EventID: eventID, Message: message,
	}
	if who.UserID != 0 {
		id := who.UserID
		e.UserID = &id
	}
	var err error
	if e.Before, err = jsonOrNil(before); err != nil {
		return err
	}
	if e.After, err = jsonOrNil(after); err != nil {
		return err
	}
	if err := tx.Create(&e).Error; err != nil {
		return fmt.Errorf("admin: audit %s %s %d: %w", action, objectType, objectID, err)
	}
	return nil
}

func jsonOrNil(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("admin: audit snapshot: %w", err)
	}
	return b, nil
}
