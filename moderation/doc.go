// Package moderation holds the verbs of moderation and the one rule matcher.
//
// The verbs (verbs.go, ban.go) are hide, unhide, pin, unpin, approve,
// reject, ban (an author or a word, optionally applied to past items) and
// apply rules to past items. Each writes its Postgres change and one audit
// row per item (store.Audit, with who did it) in one store.Tx, then appends
// its op to the live log after the commit, whether the item has been
// strained into Postgres yet or not: for an item only the live log holds,
// the transaction holds just the audit row and the strainer applies the op
// when it copies the item (jobs/batch.go). A crash between the commit and
// the append costs what docs/ARCHITECTURE.md ("The data path") says; the
// verbs report it (Result.LiveErr, Result.NotTold). An unhide approves a
// held item, as the live log's unhide does.
//
// The question verbs (questions.go: approve, hide, unhide, answering,
// answered, reopen, merge) follow the same shape for audience questions:
// the questions row (when the strainer has copied it) and the audit row in
// one transaction, then the live log's script, which changes the question
// in Redis and appends its qa_state (and, for a merge, votes) entries;
// marking one question answering marks the session's previous one answered
// in both. A merge gives the target every voter of the duplicate, each
// once. The current state is the live log's (it is ahead of Postgres).
//
// Rules (rules.go) decides whether an author or a word rule blocks an item,
// the same way at ingest (sources through Load, attendee posts through
// ScreenPost) and when a rule is applied to past items (MatchPast over
// Postgres, and the unstrained tail of the live log): SQL may select
// candidates, the Go matcher decides.
//
// # Never
//
// This package never renders pages, never knows HTTP and never imports the
// live transport: it reaches the live log through its own Log interface
// (LogOf adapts the realtime log). Its queries live in package store. The
// admin console, the attendee-post path and the sources call it.
package moderation
