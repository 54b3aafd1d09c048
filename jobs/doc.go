// Package jobs owns the worker's background work: the strainer, which copies
// each event's live log from Redis into Postgres (docs/ARCHITECTURE.md, The data path, step 5), and the
// asynq task types, handlers and periodic schedule that drive it.
//
// The SQL is package store's (strainer.go there); jobs decides when a batch
// runs and what it holds.
//
// Choices made here:
//   - One batch (default 2,000 entries) is one Postgres transaction that also
//     moves the event's strainer cursor, so a crash replays at most that batch
//     and the unique keys (event, seq) and (event, source, external_id) with
//     ON CONFLICT DO NOTHING make the replay harmless.
//   - The cursor row is locked FOR UPDATE for the batch, so two workers that
//     strain the same event at once serialise instead of racing.
//   - A log whose epoch differs from the cursor's is logged and strained on by
//     seq: rows already in Postgres are never dropped or rewritten.
//   - Redis is trimmed only below the cursor, keeping a margin (default 1,000
//     entries) for the hubs. So while Postgres is down the log simply grows
//     and the strainer's runs fail; when it returns, the next runs copy
//     everything past the cursor: nothing is lost.
//
// jobs must never render pages or answer HTTP, and every task it handles is
// idempotent: asynq delivers at least once.
package jobs
