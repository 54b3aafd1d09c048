// Package resources declares each model the admin manages, once, for the
// generic CRUD framework (package crud): events, sessions, sources, bans
// (moderation rules), people (roles in an event), accounts and the audit
// log, each with its list and its form, its validation (the event file's
// checks for events, sessions and sources; moderation.ValidateRule for
// bans) and its bulk actions. It also serves the pages about them that are
// not generic: the home page, event file import (audited in the name of
// the signed-in account) and export, and single audit entries.
//
// # Never
//
// This package never writes a row by hand: saving, deleting and auditing
// are crud's one save path; moderation goes through package moderation's
// verbs. It never imports the console, the dashboard or the admin's mount.
package resources
