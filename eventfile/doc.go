// Package eventfile owns the event file: the YAML description of one event,
// its sessions and its sources that `backchannel event apply -f FILE.yaml`
// reads, and the built-in demo event of `backchannel demo`.
//
// It parses a file into a File (every error names the file, the line and the
// field, and all errors are reported at once), validates it with the same
// exported checks the admin CMS forms use (ValidateSlug, ValidateEvent,
// ValidateSession, ValidateSource), applies it to Postgres through package
// store in one transaction with one audit row per real change, written by
// store.Audit with the row's snapshots and the actor who applied it (the CLI
// or the admin's signed-in user), and writes an event back out as a file
// (ExportFile) that applies as a no-op.
//
// Choices made here:
//   - List indexes in error fields are 0-based (sessions[0] is the first
//     session), like JSON paths.
//   - A pair of overlapping sessions, or a duplicate session slug or source
//     key, is reported once, on the later of the two entries.
//   - Sessions without a room never conflict; rooms compare case-insensitively.
//   - A source's key is its name when given, else its kind plus what it
//     follows (mastodon: instance#tag, bluesky: keywords, x: rule, flickr:
//     tags, feed: url, replay: "replay"). Changing what a source follows
//     therefore replaces it (delete + create) unless it has a name.
//   - Times are kept to the microsecond, as Postgres stores them, so a file
//     applied twice compares equal to what the database holds.
//
// It must never write a secret: sources name environment variables
// (token_env), and a field holding a token is rejected. It never runs a
// source, talks to Redis, renders anything or writes SQL of its own (its
// queries live in store/eventfile.go).
package eventfile
