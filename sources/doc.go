// Package sources owns ingestion: one adapter per source kind (mastodon,
// bluesky, x, flickr, feed, replay), the pure parsers of their wire formats,
// normalization of every payload into a realtime.Item (sanitized HTML, plain
// text, http(s)-only media), moderation at ingest (Rules), and the Manager
// that runs exactly one leased runner per enabled source across all workers.
//
// The guarantee is "never lose an item": a runner appends to the event's live
// log first and saves its cursor only past items appended a few seconds ago
// (DESIGN.md, Durability), resumes from that cursor after a crash or a
// takeover, and backfills after every reconnect; the log's dedupe on item ID
// drops whatever is replayed. Polled kinds (flickr, feed, and the Mastodon
// REST fallback) run inside the same leased runner loop on their `every`
// interval instead of as asynq periodic tasks, so they share the lease, the
// cursor and the state reporting, and a poll never runs twice at once.
//
// This package must never write items to Postgres (the strainer does), never
// assign seq numbers (the live log does), never render HTML for pages, and
// never trust remote HTML or URLs: everything passes the sanitizer first.
package sources
