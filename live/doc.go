// Package live holds the nouns of an event's live stream, shared by every
// other package: the Item as the Live API shows it, the Entry of the live
// log, their ops and kinds, the one mapping between a stored items row and an
// Item (FromRow, ToRow), and the one visibility rule (Item.Public in Go,
// VisibleSQL in SQL). See docs/ARCHITECTURE.md.
//
// # Never
//
// This package never talks to Redis, Postgres or HTTP, and never imports a
// package of its own project but models: it is what they all import.
package live
