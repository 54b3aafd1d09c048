// Package store is the one home of the project's SQL. Each entity's queries
// live in the file named after it, as methods of Store: events.go (events by
// slug, lists, ended events), sessions.go (counts, signatures), items.go (the
// archive's reads: pages, search, permalinks, exports), stats.go (activity,
// the rows of top links and top posters), history.go (the live log as
// Postgres keeps it, for the hub), strainer.go with strainer_sql.go and
// strainer_batch.go (the strainer's batches, hand-written SQL over unnest()ed
// arrays: it is on the ≥10,000 items/s path), audit.go (the one audit
// writer, the only code that writes audit_log). Hand-written SQL where speed
// matters, GORM for plain CRUD; errors wrapped with context, a missing row
// as models.NotFound, an unreachable Postgres as models.ErrUnavailable.
//
// event_cache.go is the one cached event-by-slug lookup (Events) every
// handler uses: a copy per slug for a couple of seconds, one query per slug
// at a time, and the last good copy served while Postgres is down (see
// docs/ARCHITECTURE.md, "When Postgres is down").
//
// # Never
//
// This package never knows HTTP, templates or Redis, and never decides a
// rule of the domain (who may see an item is live.VisibleSQL; what a
// moderation rule blocks is package moderation's): it runs queries.
package store
