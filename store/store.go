package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// Store runs the project's queries over one Postgres database, or over one
// transaction of it (see Tx). It is safe for concurrent use.
type Store struct {
	db *gorm.DB
}

// New returns a Store over db.
func New(db *gorm.DB) *Store { return &Store{db: db} }

// DB is the GORM handle under the store (a transaction's inside Tx).
func (s *Store) DB() *gorm.DB { return s.db }

// Tx runs fn in one transaction: every query fn makes through tx commits
// together or not at all. Work that must follow the commit (a live-log
// append, a cache bump) belongs after Tx returns, never inside fn.
func (s *Store) Tx(ctx context.Context, fn func(tx *Store) error) error {
	err := s.db.WithContext(ctx).Transaction(func(db *gorm.DB) error {
		return fn(&Store{db: db})
	})
	if err != nil {
		return fmt.Errorf("store: transaction: %w", err)
	}
	return nil
}
