// Package schedule holds the nouns of an event's schedule as session
// assignment sees them (Session, Handle) and the one assigner (Schedule.Place):
// the rule of docs/API.md ("Session assignment") in one place, used at ingest
// (the sources' runners and the attendee-post path set an item's session and
// room before it is appended), by the strainer (each batch's new items) and
// by re-assignment after a schedule edit (package jobs), so the live page,
// the archive and a re-assignment agree on where a post belongs.
//
// The rule, in order, each step narrowing the candidates of the one before
// when it names several:
//
//  1. the sessions whose tags the post carries (as a hashtag or a word;
//     a tag of several words as a phrase);
//  2. else the sessions one of whose speakers wrote or is mentioned in the
//     post, each network's handle in its own form (Mastodon @user@host,
//     Bluesky handle.bsky.social, X @user);
//  3. else the session whose page an attendee posted from (a post from a
//     room's page names that room's session at the time: InRoomAt);
//  4. else the session whose time window holds the post's created_at, when
//     only one does.
//
// Several candidates left after every narrowing (a post tagged for two
// parallel talks, or posted while three rooms run) are not given to any of
// them: the post is ambiguous ("to place"), unassigned within its slot, for
// a moderator to place. A post outside every session is simply unassigned.
//
// Cache keeps each event's compiled schedule for ingest, with a last good
// copy that outlives a Postgres outage (ingest never waits for Postgres: an
// item it cannot place goes unassigned and the strainer places it).
//
// # Never
//
// This package never talks to Postgres, Redis or HTTP (its loaders are
// given to it) and imports nothing of ours but live and models.
package schedule
