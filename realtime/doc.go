// Package realtime owns the live path of every event: the live log in Redis
// (log.go), each web node's hub that answers long polls and SSE from memory
// (hub*.go: the subscription in hub_dispatch.go, the window in hub_window.go,
// a poll's state machine in hub_poll.go, history in hub_history.go, the page
// and its JSON in hub_page.go), the fallback for history older than Redis (an Archive: the app
// passes store.Store, whose EntriesAfter reads Postgres; when Postgres cannot
// be reached the client is told to reset and gets a snapshot from Redis),
// the HTTP handlers of the Live API (http*.go, posts*.go, limit*.go) and the
// live path's metrics (metrics.go).
//
// # The live log
//
// Each event's log lives in Redis under keys sharing the hash tag {ev:<id>}
// (namespace + "live:{ev:42}:seq", ":epoch", ":ids", ":log", ":state",
// ":shown"), so one event's keys share a Redis Cluster slot and its scripts
// stay atomic on a cluster. One Lua script (appendScript, run by EVALSHA with
// EVAL fallback) is the only place that assigns seq: for an add it dedupes on
// the item's "source:external_id" (hash :ids, id → seq), takes head+1, writes
// the entry, keeps the item's current state for snapshots (hash :state seq →
// item JSON, and the sorted set :shown of public seqs) and PUBLISHes
// "<epoch> <entry JSON>" on namespace + "live:pub:<id>". Ops (hide, unhide,
// pin, unpin, update) go through the same script.
//
// Memory, measured with 10,000 Mastodon-sized items: :state ≈ 690 bytes per
// item, :shown ≈ 105, :ids ≈ 77, and :log ≈ 770 until the strainer lets it
// be trimmed. :state and :shown are kept for the whole event; a day after it
// ends, Log.Compact (run hourly by package jobs) keeps only the newest 1,000
// public items' states (":compacted" notes how far it got). :ids stays, so a
// late copy of any item is still refused.
//
// Entries are kept in a Redis stream (:log) with id "<seq>-0" rather than a
// sorted set: XRANGE from "<since+1>-0" is O(log n + k); XTRIM MINID drops
// whole listpack nodes; ids are delta-encoded so memory per entry is about the
// entry's bytes; and XADD refuses an id not above the last, a second guard of
// the gap-free seq (the script runs XADD before any other write, since Redis
// does not roll scripts back).
//
// The epoch (:epoch, a random string set once) names one life of the log. A
// hub that finds the head below a seq it already served (Redis lost its tail
// after a crash: AOF everysec) or a seq it holds with other content calls
// Log.NewEpoch, which changes the epoch only if it is still the old one and
// publishes "<epoch> <head>": every hub reloads and every client resets.
//
// # The hub
//
// One PSUBSCRIBE on namespace + "live:pub:*" per node carries every event's
// entries themselves, so in steady state a poll costs no Redis command. Per
// event followed by a client of this node (created on the first poll) the hub
// holds a ring of the last Window entries, filled from the published entries;
// a seq that jumps past head+1 is filled from Redis before anyone is woken,
// and every (re)subscription re-checks each event's head. Waiters park on a
// channel shared by the event and closed by the hub at most once per short
// batch window (the first entry after a quiet window at once, the rest of a
// burst together at the window's end), or, on the loop server, as a
// sleeper the hub wakes by a call (hub_sleep.go); a goroutine waiter has its
// own timer because fasthttp never says when a client left. A since older than the ring
// is read from Redis, older than Redis from the Archive, never a silent gap.
// Hidden (blocked) and held (awaiting approval) items are in the log but are
// never delivered; their seqs still advance Next. Waiters woken together
// share the page cut for their (since, limit), so Page slices must be treated
// as read-only. A window nobody polled for ten minutes is dropped (never
// under a waiter) and loaded again on the next poll.
//
// # The loop server
//
// LoopServer (http_loop*.go) owns a node's HTTP port. Every connection
// starts on a few gnet event loops (one per core) that read request heads
// themselves, strictly (a differential fuzz target holds them to fasthttp's
// reading), and answer the long polls and streams they can take whole (an
// event in the lookup cache, a browser with its cookie, a position in the
// hub's memory) without a goroutine: admitted, parked as sleepers, woken by
// the hub, answered with the bytes fiber's handlers would send (tests hold
// both to the same answers), timed out by a sweep of each loop's deadlines.
// Any other live request runs fiber's own handler on a goroutine, which
// answers it or hands the wait it admitted back to the loops (adoption). A
// request to any other path moves the connection, bytes untouched, to
// fiber's fasthttp server; a live request arriving there moves it back. A
// client that leaves is seen at once (fasthttp waits out the poll).
//
// # Never
//
// This package never renders templates, never reads or writes Postgres
// itself (events and history come through EventLookup and Archive, which the
// wiring fills from package store; the strainer writes), never imports
// package store, never assigns a seq outside the append script, never blocks on
// rueidis's subscription callback, and never sends a Redis command per
// waiting poll.
package realtime
