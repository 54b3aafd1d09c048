// Package auth is the admin's accounts and access: sign-in and sign-out
// (login.go, pages.templ), server-side sessions in Redis (storage.go), CSRF
// on every state-changing request, the login throttle (throttle.go),
// argon2id passwords (password.go), createsuperuser (superuser.go), the
// permissions and the one wrapper that checks them on every route (Guard,
// perms.go), flash messages, and the page chrome each account sees
// (Chrome: its menus, limited to what it may do).
//
// It owns the Redis keys under namespace+"admin:" (sessions, login
// counters). Every change it makes (a password) is audited in the same
// transaction through store.Audit.
//
// # Never
//
// This package never renders a page of another admin part, never imports
// an admin package but ui, and never lets a request past Guard without the
// permission it names: a check is weakened here for every route at once.
package auth
