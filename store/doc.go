// Package store is the one home of the project's SQL. Each entity's queries
// live in the file named after it (events.go, sessions.go, items.go, ...),
// as methods of Store; hand-written SQL where speed matters, GORM for plain
// CRUD; errors wrapped with context, a missing row as models.NotFound. The
// audit writer (audit.go) is the only code that writes audit_log. See
// docs/ARCHITECTURE.md.
//
// # Never
//
// This package never knows HTTP, templates or Redis, and never decides a
// rule of the domain (who may see an item is live.VisibleSQL; what a
// moderation rule blocks is package moderation's): it runs queries.
package store
