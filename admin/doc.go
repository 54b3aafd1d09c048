// Package admin is the CMS under /admin, modelled on Django's admin: accounts
// (argon2id passwords, Redis-backed server-side sessions, CSRF on every
// state-changing request, login throttling), per-event roles checked by one
// permission wrapper, a declarative description per model rendered by one
// generic list page and one generic form, an audit log written in the same
// transaction as each change, the moderation console (Postgres first, then a
// live-log op) and the operations dashboard.
//
// It owns the admin's templates, assets and Redis keys under
// namespace+"admin:" (sessions, login counters) and namespace+"proc:"
// (process heartbeats). It must never render public pages, write the live log
// except through Deps.Log.AppendOp, or change a row without an audit entry in
// the same transaction.
//
// Pages: /admin/login, /admin/logout (POST), /admin/password, /admin/ (home),
// /admin/events[/new|/{event}[/delete|/history]], and under
// /admin/events/{event}/: sessions, sources, roles, rules (the ban list),
// audit (the event's history), moderate, items/{seq}/{hide|unhide|pin|unpin|
// block-author}, block-word, queue, export; superusers also have /admin/users,
// /admin/audit, /admin/import and /admin/dashboard. Assets: /admin/static/.
//
// Choices made here: event-scoped pages nest under /admin/events/{event} so
// the permission wrapper decides from the URL alone; session cookies are
// __Host- prefixed whenever they are Secure; a moderation op on an item that
// exists only in the live log (not yet strained) still appends the op, and
// the strainer carries it into Postgres.
package admin
