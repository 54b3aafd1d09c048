// Package console is the moderation console of one event: the newest items
// (those strained into Postgres and those only in the live log so far), with
// hide, unhide, pin, unpin and ban buttons and keyboard shortcuts, and the
// held queue where moderators approve or reject. Every change goes through
// package moderation's verbs, which write Postgres and the audit log in one
// transaction and then tell the live log.
//
// # Never
//
// This package never changes an item or a rule itself (no SQL, no live-log
// append: the verbs do), never imports the live transport (it reads the log
// through LiveLog), and never imports the CRUD framework, the resources or
// the dashboard.
package console
