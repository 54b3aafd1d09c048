// Package ui is the admin's look, shared by every admin page: the layout
// and error page (layout.templ), the page chrome as plain data (Chrome:
// title, account, CSRF token, flash messages, breadcrumbs, navigation), the
// admin's own stylesheet and script (Static), the security headers of every
// admin answer (Headers), formatting helpers, and the few request helpers
// every admin handler shares (IDParam, BackTo, Redirect).
//
// # Never
//
// This package never imports another admin package, the store or the
// domain: it knows nothing of accounts or permissions (the chrome arrives
// computed, from package auth) and queries nothing.
package ui
