package admin

import (
	"context"
	"encoding/json"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/eventfile"
	"github.com/backchannel/backchannel/models"
	"github.com/backchannel/backchannel/store"
)

// packageEventFiles adapts package eventfile to EventFiles: the default, so
// the admin's forms and `event apply` share one set of rules.
type packageEventFiles struct{}

// DefaultEventFiles returns the EventFiles backed by package eventfile.
func DefaultEventFiles() EventFiles { return packageEventFiles{} }

func (packageEventFiles) ValidateEvent(ev *models.Event) *models.ValidationError {
	return eventfile.ValidateEvent(ev)
}

func (packageEventFiles) ValidateSession(ev *models.Event, s *models.Session, others []models.Session) *models.ValidationError {
	return eventfile.ValidateSession(ev, s, others)
}

func (packageEventFiles) ValidateSource(kind string, config map[string]any) (string, json.RawMessage, *models.ValidationError) {
	return eventfile.ValidateSource(kind, config)
}

func (packageEventFiles) Import(ctx context.Context, db *gorm.DB, filename string, data []byte, actor string) (string, error) {
	res, err := eventfile.ApplyFile(ctx, db, filename, data, store.Actor{Name: actor})
	if err != nil {
		return "", err
	}
	return res.Summary(), nil
}

func (packageEventFiles) Export(ctx context.Context, db *gorm.DB, slug string) ([]byte, error) {
	return eventfile.ExportFile(ctx, db, slug)
}

// sourceKinds are the choices of a source's kind field.
func sourceKinds() []Choice {
	var out []Choice
	for _, k := range eventfile.SourceKinds() {
		out = append(out, Choice{Value: k, Label: k})
	}
	return out
}
