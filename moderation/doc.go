// Package moderation holds the verbs of moderation and the one rule matcher.
// Rules (rules.go) decides whether an author or a word rule blocks an item,
// the same way at ingest (sources, attendee posts) and when a rule is
// applied to past items (MatchPast): SQL may select candidates, the Go
// matcher decides. See docs/ARCHITECTURE.md.
//
// # Never
//
// This package never renders pages and never knows HTTP: the admin console,
// the attendee-post path and the sources call it.
package moderation
