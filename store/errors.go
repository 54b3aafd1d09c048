package store

import (
	"errors"
	"strings"

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

// notFoundRow is the missing row of table keyed by id, named in the
// singular people read ("session 7").
func notFoundRow(table string, id int64) error {
	return models.NotFound(strings.TrimSuffix(strings.ReplaceAll(table, "_", " "), "s"), id)
}

// wrap marks an error of an unreachable Postgres with models.ErrUnavailable
// (the handlers answer it 503 with Retry-After) and leaves others as they are.
func wrap(err error) error { return models.Unavailable(err) }
