package store

import (
	"errors"

	"gorm.io/gorm"

	"github.com/backchannel/backchannel/models"
)

// notFound turns GORM's missing row into models.NotFound(what, key) and
// leaves every other error as it is.
func notFound(err error, what string, key any) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return models.NotFound(what, key)
	}
	return err
}

// wrap marks an error of an unreachable Postgres with models.ErrUnavailable
// (the handlers answer it 503 with Retry-After) and leaves others as they are.
func wrap(err error) error { return models.Unavailable(err) }
