package realtime

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
)

// DBEvents looks events up in Postgres for the live handlers.
type DBEvents struct {
	DB *gorm.DB
}

// LookupLive returns the event called slug, or an error wrapping
// models.ErrNotFound.
func (d DBEvents) LookupLive(ctx context.Context, slug string) (LiveEvent, error) {
	var ev LiveEvent
	err := d.DB.WithContext(ctx).Model(&models.Event{}).
		Select("id", "slug", "posting", "moderation").
		Where("slug = ?", slug).Take(&ev).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return LiveEvent{}, models.NotFound("event", slug)
	}
	if err != nil {
		return LiveEvent{}, fmt.Errorf("realtime: look up event %q: %w", slug, err)
	}
	return ev, nil
}
