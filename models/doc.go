// Package models holds the rows of the Postgres schema (see migrations/) as
// GORM structs, the enum constants of their columns, and the domain errors
// every package returns and internal/web maps to answers: NotFound (a
// missing thing, `There is no event "x".`), *ValidationError, and
// ErrUnavailable (Postgres cannot be reached: 503, never 500). Its queries
// live in package store. It never knows about HTTP, templates or Redis, and
// imports no package of ours.
package models
