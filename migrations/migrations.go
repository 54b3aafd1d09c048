// Package migrations owns the database schema: versioned SQL files embedded in
// the binary and applied with goose. It never touches rows; the schema is the
// only thing it changes. GORM's AutoMigrate is deliberately not used: every
// schema change is a reviewed SQL file with a down step.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed *.sql
var files embed.FS

// Status is one migration's version, file and whether it is applied.
type Status struct {
	Version int64
	Path    string
	Applied bool
}

func provider(db *sql.DB) (*goose.Provider, error) {
	sqlFiles, err := fs.Sub(files, ".")
	if err != nil {
		return nil, fmt.Errorf("migrations: embedded files: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sqlFiles)
	if err != nil {
		return nil, fmt.Errorf("migrations: new provider: %w", err)
	}
	return p, nil
}

// Up applies every pending migration and returns how many it applied.
func Up(ctx context.Context, db *sql.DB) (int, error) {
	p, err := provider(db)
	if err != nil {
		return 0, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("migrations: up: %w", err)
	}
	return len(res), nil
}

// Down rolls back the newest applied migration; it reports false when none was applied.
func Down(ctx context.Context, db *sql.DB) (bool, error) {
	p, err := provider(db)
	if err != nil {
		return false, err
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return false, fmt.Errorf("migrations: version: %w", err)
	}
	if current == 0 {
		return false, nil
	}
	if _, err := p.Down(ctx); err != nil {
		return false, fmt.Errorf("migrations: down: %w", err)
	}
	return true, nil
}

// List returns every known migration with its state, oldest first.
func List(ctx context.Context, db *sql.DB) ([]Status, error) {
	p, err := provider(db)
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: status: %w", err)
	}
	out := make([]Status, 0, len(st))
	for _, s := range st {
		out = append(out, Status{Version: s.Source.Version, Path: s.Source.Path, Applied: s.State == goose.StateApplied})
	}
	return out, nil
}

// Current reports whether every embedded migration has been applied.
func Current(ctx context.Context, db *sql.DB) (bool, error) {
	p, err := provider(db)
	if err != nil {
		return false, err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("migrations: pending: %w", err)
	}
	return !pending, nil
}
