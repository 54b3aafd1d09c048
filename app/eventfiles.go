package app

import (
	"context"
	"encoding/json"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/eventfile"
	"github.com/backchannel/backchannel/models"
)

// eventFiles gives the admin the same validation and import/export as
// `backchannel event apply`.
type eventFiles struct{}

func (eventFiles) ValidateEvent(ev *models.Event) *models.ValidationError {
	return eventfile.ValidateEvent(ev)
}

func (eventFiles) ValidateSession(ev *models.Event, s *models.Session, others []models.Session) *models.ValidationError {
	return eventfile.ValidateSession(ev, s, others)
}

func (eventFiles) ValidateSource(kind string, config map[string]any) (string, json.RawMessage, *models.ValidationError) {
	return eventfile.ValidateSource(kind, config)
}

func (eventFiles) Import(ctx context.Context, db *gorm.DB, filename string, data []byte, actor string) (string, error) {
	f, err := eventfile.Parse(filename, data)
	if err != nil {
		return "", err
	}
	res, err := eventfile.Apply(ctx, db, f, actor)
	if err != nil {
		return "", err
	}
	return res.Summary(), nil
}

func (eventFiles) Export(ctx context.Context, db *gorm.DB, slug string) ([]byte, error) {
	return eventfile.ExportFile(ctx, db, slug)
}
