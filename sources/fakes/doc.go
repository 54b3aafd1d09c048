// Package fakes serves local stand-ins for the upstream services the
// sources package reads: a Mastodon instance (hashtag stream and tag
// timeline), Bluesky's Jetstream, X's filtered stream, Flickr's REST API and
// an Atom/RSS feed. The tests of package sources and bench/chaos drive them.
//
// Every behaviour a fake imitates is written from the upstream's own
// documentation or source code, cited next to the code that imitates it,
// never from what our adapters assume. Each fake includes the upstream's
// awkward parts: heartbeats and keep-alives at their production intervals,
// 401 without a token, ids that sort below ids already seen, an HTML page
// with status 200, 5xx, 429 with the upstream's own rate-limit headers,
// errors inside a 2xx answer, reconnect gaps, replay from a cursor.
//
// Fakes are test infrastructure: nothing but tests and bench/ imports them,
// and they import nothing of ours, so they cannot share an adapter's
// mistakes.
package fakes
