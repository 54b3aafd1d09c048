// Package models maps the Postgres schema (see migrations/) to GORM models and
// holds the queries the web pages, CLI and jobs share. It returns domain
// errors (ErrNotFound, *ValidationError) wrapped with %w; it never knows about
// HTTP, templates or Redis.
package models
