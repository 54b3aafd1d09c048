// Package archive owns what an event leaves behind once the live log is
// strained into Postgres: the archive pages (event, session, item permalink,
// search), the Atom feeds, the JSON and CSV exports and the JSON archive API
// (docs/API.md, "Archive API and pages"), and the in-memory caches in front of them.
// It shows the audience's questions (visible ones, with votes and state) on
// session pages, in session feeds and in the exports, and serves which talks
// landed: the reception page of an event and the speakers' shareable reports
// (/r/{token}; a revoked or unknown token is one 404, so links cannot be
// probed) (docs/API.md, "Audience questions and reactions").
//
// Choices made here, and why:
//   - Only visible rows are ever read: every query it asks package store for
//     carries live.VisibleSQL (not hidden, review approved), and rows become
//     items through the one mapping, live.FromRow. There is no code path that
//     reads a hidden or pending item, so none can leak one.
//   - The event comes from the app's one cached lookup (store.Events), so the
//     archive asks Postgres only for items; while Postgres is down a page not
//     in the cache answers 503 with Retry-After (exports read their first
//     batch before answering, so they fail the same way, never half-sent).
//   - Item HTML is sanitized again on the way out with a policy as tight as
//     the ingest one: the archive does not trust that every writer of the
//     items table sanitized.
//   - Pagination is keyset on seq (?after=SEQ) everywhere, so a page costs an
//     index range scan however deep it is, and a page never repeats or skips
//     an item while new ones arrive.
//   - Rendered pages and query results are cached in memory under a key that
//     carries the event's stamp (archive/stamp), which the strainer and the
//     admin bump on every change: a hide invalidates at once, and a cache hit
//     costs one Redis GET.
//
// What it must never do: hold SQL of its own (package store does), write to Postgres or to the live log, render a
// hidden or pending item, or put unsanitized remote HTML in a page or feed.
package archive
