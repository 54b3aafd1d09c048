// Package sources owns ingestion: one adapter per source kind (mastodon,
// bluesky, x, flickr, feed, replay), the pure parsers of their wire formats,
// normalization of every payload into a live.Item (sanitized HTML, plain
// text, http(s)-only media), moderation at ingest (Rules), the Manager that
// runs exactly one leased runner per enabled streamed source across all
// workers, the poll tasks of polled sources, and their Prometheus counters.
//
// The guarantee is "never lose an item": a runner appends to the event's live
// log first and saves its cursor only past items appended a few seconds ago
// (docs/ARCHITECTURE.md, Durability), resumes from that cursor after a crash or a
// takeover, and backfills after every reconnect; the log's dedupe on item ID
// drops whatever is replayed.
//
// Streams (mastodon, bluesky, x) and the demo's replay run as leased runners
// in the Manager's loop; the Mastodon REST fallback stays inside the Mastodon
// runner, since it stands in for the stream. Polled kinds (flickr, feed) run
// as asynq periodic tasks: NewPollManager schedules one TypePoll task per
// enabled polled source at its `every` (re-read every PollSyncInterval, so
// admin edits take effect in seconds), and HandlePoll polls once with a
// conditional GET (ETag/Last-Modified, or Flickr's min_upload_date). A poll
// takes the runners' lease key of its source for its whole duration, so two
// polls of one source never overlap (nor a poll and a runner); it loads and
// saves the cursor in the same Redis hash, saves it only once its appends are
// CursorDelay old, and reports the same state. Every worker may schedule the
// polls: tasks are asynq.Unique for one interval, and a poll is skipped until
// a not_before its predecessor saved (¾ of the interval later, or later still
// after a failure, by the runners' backoff; a RequestReconnect clears it), so
// a source is polled about once per interval however many workers run. A
// failed poll is not an error to asynq: the next period is the retry
// (MaxRetry 1 only re-runs a task whose worker died mid-poll).
//
// Bluesky's Jetstream names authors by DID only; their profiles (handle,
// display name, avatar) are resolved through the AppView's
// app.bsky.actor.getProfiles (profile_base in the source config), batched up
// to 25 actors, and cached in memory (LRU, TTL 1 h) and in Redis (one hash
// per DID with a TTL), so a worker taking a source over does not refetch
// them. A post waits at most 300 ms for an unknown author, else it is
// appended with the DID and an `update` with the profile follows; a slow or
// failing AppView is not waited for at all (profiles.go).
//
// This package must never write items to Postgres (the strainer does), never
// assign seq numbers (the live log does), never render HTML for pages, and
// never trust remote HTML or URLs: everything passes the sanitizer first.
package sources
