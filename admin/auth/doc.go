// Package auth is the admin's accounts and access: sign-in and sign-out
// (login.go, pages.templ), server-side sessions in Redis (sessions.go),
// CSRF on every state-changing request (csrf.go), the login throttle with
// device cookies (throttle.go, device.go), the optional second factor
// (TOTP and recovery codes, totp.go), argon2id passwords checked against a
// list of common and breached ones (password.go, commonpw.go), the
// account's own pages (account.go: sessions, password, email, second
// factor), the security log and page (seclog.go, security.go),
// createsuperuser (superuser.go), the permissions and the one wrapper that
// checks them on every route (Guard, perms.go), flash messages, and the
// page chrome each account sees (Chrome: its menus, limited to what it may
// do).
//
// Anonymous visitors cost no server state: a session is created at
// sign-in, the sign-in forms carry a signed token (keys derived from
// SECRET_KEY, Keys), and the step between the password and the second
// factor is a signed cookie. A session has an idle timeout and an absolute
// lifetime, and ends when its account's password or email changes.
//
// It owns the Redis keys under namespace+"admin:" (sessions, the index of
// each account's sessions, login counters, the last second-factor step)
// and, in Postgres, the security log, recovery codes and admin settings.
// Every change it makes to an account (password, email, second factor) or
// a setting is audited in the same transaction through store.Audit.
//
// # Never
//
// This package never renders a page of another admin part, never imports
// an admin package but ui, never stores anything for a request that has
// not signed in (the security log of failures aside, capped per address),
// and never lets a request past Guard without the permission it names: a
// check is weakened here for every route at once.
package auth
