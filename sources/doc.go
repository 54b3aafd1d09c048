// Package sources owns ingestion: one adapter per source kind (mastodon,
// bluesky, x, flickr, feed, replay), the pure parsers of their wire formats,
// normalization of every payload into a live.Item (sanitized HTML, plain
// text, http(s)-only media), moderation at ingest (Rules), the Manager that
// runs exactly one leased runner per enabled streamed source across all
// workers, the poll tasks of polled sources, and their Prometheus counters.
//
// What a crash costs (node.go, lease.go). Every worker announces itself by a
// heartbeat key refreshed every NodeBeatEvery (200 ms) that expires NodeTTL
// (1 s) after its last refresh. When a worker dies (kill -9, a lost machine)
// its sources stay without a runner for about NodeTTL plus two or three
// TakeoverCheckEvery (250 ms): standbys see its heartbeat gone, look again
// 300 ms later (after a Redis stall every heartbeat may have run out at
// once, and a live worker refreshes within NodeBeatEvery), and take its
// leases over at once, however long the leases had to run; measured about
// 1.4-1.7 s from death to the next append. A worker restarted under the same
// identity (WORKER_ID) reclaims its leases as soon as it starts. A clean stop
// releases the leases and withdraws the heartbeat, so standbys take over
// within TakeoverCheckEvery. Either way the new runner resumes from the saved
// cursor and backfills, and the log's dedupe drops what was appended twice.
//
// Fencing: a lease lives in the source's cursor hash with a fence counter
// raised by every acquisition, so a zombie holder (a paused or cut-off
// process that missed its takeover) can neither save its cursor, renew or
// release the lease, nor paint its state over its successor's: each of those
// is one script that checks the holder. A runner appends only while its
// worker's heartbeat is confirmed (it waits up to NodeTTL, then gives up),
// and an append that slips through anyway is an item the successor fetches
// too, which the log's dedupe on item ID drops.
//
// Outbound safety (credentials.go, package outbound). Every request goes
// through the one outbound client (no loopback, private, link-local or
// metadata address at connect time unless OUTBOUND_ALLOW_PRIVATE names it)
// under a transport that sends a source's secret only to the host the source
// is configured for. The secret is the token an organizer entered for the
// source (SetToken: sealed with SECRET_KEY, write-only, bound to that host),
// else the variable its token_env names when SOURCE_SECRETS allows it.
// TestConnection makes one request with it for the admin.
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
// takes the runners' lease of its source for its whole duration, so two
// polls of one source never overlap (nor a poll and a runner); it loads and
// saves the cursor in the same Redis hash (as the lease's holder only), saves it only once its appends are
// CursorDelay old, and reports the same state. Every worker may schedule the
// polls: tasks are asynq.Unique for one interval, and a poll is skipped until
// a not_before its predecessor saved (¾ of the interval later, or later still
// after a failure, by the runners' backoff; a RequestReconnect clears it), so
// a source is polled about once per interval however many workers run. A
// failed poll is not an error to asynq: the next period is the retry
// (MaxRetry 1 only re-runs a task whose worker died mid-poll).
//
// Each adapter follows its upstream's documented behaviour, and its tests
// run against the fakes of sources/fakes, written from the upstreams' own
// documentation and source:
//
//   - Mastodon: the stream's watchdog sits at 2.5x the 15 s ":thump", so a
//     quiet hashtag keeps its stream (silence is never a reason to poll).
//     401/403 on the stream (a user token is required since 4.2) is a
//     lasting Notice ("token missing" / "token refused") and the runner
//     reads the tag timeline instead; a timeline that refuses too says
//     nothing can be read. Every backfill re-reads a late window below the
//     cursor (ids carry their creation time, ms << 16), for statuses that
//     federate late. A page that is not a JSON array is an error, one bad
//     status is skipped without ending paging, and a new source pages back
//     to its event's starts_at (State.Backfilled).
//   - X: the sources of one app share one filtered stream (X allows one
//     connection per app), told apart by rule tags "source:<id>"; rules of
//     sources that are gone are removed; rule answers are read from the
//     body (errors come inside 2xx); text is unescaped and t.co links
//     expanded; backfill_minutes after a gap where the access level allows
//     it, else a Notice says gaps are lost.
//   - Bluesky: reconnects rewind the Jetstream cursor 5 s.
//   - Flickr: the API key (in the query) never reaches an error, a log or
//     the dashboard; a new source starts at its event's starts_at.
//   - Feeds: entry ids are scoped per source; edits become updates and
//     entries deleted within the feed's window become hides.
//   - Every Retry-After (or rate-limit reset) is honoured, capped at
//     Backoff.MaxRetryAfter.
//
// Bluesky's Jetstream names authors by DID only; their profiles (handle,
// display name, avatar) are resolved through the AppView's
// app.bsky.actor.getProfiles (profile_base in the source config), batched up
// to 25 actors, and cached in memory (LRU, TTL 1 h) and in Redis (one hash
// per DID with a TTL), so a worker taking a source over does not refetch
// them. A post waits at most 300 ms for an unknown author, else it is
// appended with the DID and an `update` with the profile follows; a slow or
// failing AppView is not waited for at all, and a failed lookup is retried
// once the AppView may be asked again (profiles.go).
//
// This package must never write items to Postgres (the strainer does), never
// assign seq numbers (the live log does), never render HTML for pages, and
// never trust remote HTML or URLs: everything passes the sanitizer first.
package sources
