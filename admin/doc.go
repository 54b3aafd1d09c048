// Package admin mounts the CMS under /admin, modelled on Django's admin. It
// owns no page of its own: it builds its parts over one store and one set
// of moderation verbs, declares the admin's menus, and registers each
// part's routes behind the same middleware (security headers, CSRF, error
// pages through internal/web):
//
//   - admin/auth: accounts, sign-in (password, optional second factor),
//     Redis sessions created at sign-in only, CSRF, the login throttle with
//     device cookies, argon2id passwords, the account's own pages, the
//     security log, the permissions and their one check;
//   - admin/crud: the generic CRUD framework (a Resource declares a model's
//     list and form once; one list page, one form, one save path with its
//     audit row in the same transaction, delete confirmation, history);
//   - admin/resources: the declarations (events, sessions, sources, bans,
//     people, accounts, the audit log), the home page, event file import
//     and export;
//   - admin/console: the moderation console and the held queue, through
//     package moderation's verbs;
//   - admin/dashboard: processes, Redis, sources, task queues, activity;
//   - admin/ui: the layout, the chrome, assets and shared helpers.
//
// Pages: /admin/login, /admin/login/two-factor, /admin/logout (POST),
// /admin/account (sessions; email, password at /admin/password, two-factor),
// /admin/ (home),
// /admin/events[/new|/{event}[/delete|/history]], and under
// /admin/events/{event}/: sessions, sources, roles, rules (the ban list),
// audit (the event's history), moderate, items/{seq}/{hide|unhide|pin|unpin|
// block-author}, block-word, queue, export; superusers also have /admin/users,
// /admin/audit, /admin/security, /admin/import and /admin/dashboard. Assets: /admin/static/.
// Event-scoped pages nest under /admin/events/{event} so the permission
// check decides from the URL alone.
//
// # Never
//
// Nothing imports this package or its parts but the wiring (app) and the
// CLI (cmd). The admin never renders public pages, never writes the live
// log but through package moderation, and never changes a row without an
// audit entry in the same transaction.
package admin
