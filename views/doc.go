// Package views owns the HTML the public sees: the base layout every page
// (archive and admin included) reuses, the home, live, wall and error pages,
// a session's Q&A page and speaker view (audience.js, reactions.js),
// their typed view models, and the embedded static assets (CSS and the
// dependency-free live scripts) served with cache-busting URLs.
//
// Choices made here, and why:
//   - Pages are CSP-strict: no inline script, no style attribute, no style
//     element. All CSS is views/static/app.css; all JS is views/static/*.js,
//     configured through data- attributes. So the app can send
//     "default-src 'self'" with nothing relaxed.
//   - Scripts are classic deferred scripts, not ES modules: a module's import
//     of "./live-core.js" would bypass the ?v= hash, and an immutable cache
//     would then pair a new live.js with an old core after a deploy.
//   - Asset URLs carry a content hash as ?v=; only a request whose v matches
//     the embedded content is answered as immutable, so a node still running
//     an old build never pins stale bytes under a new URL.
//   - Templates never see map[string]any: every page takes a view model built
//     by a constructor here (NewItemVM, NewHomeVM, NewEventVM, NewWallVM).
//
// What it must never do: run queries, call Redis, or know about routing
// beyond URL paths of the public contract (docs/API.md); render any remote field
// with templ.Raw except an item's HTML, which the server's sanitizer
// produced; put a non-http(s) URL in an img src or href.
package views
