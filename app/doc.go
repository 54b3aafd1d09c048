// Package app wires the process together: it parses the configuration, opens
// Postgres and Redis once, builds the one explicit App that every handler and
// job receives, sets up the fiber server with its middleware (request IDs,
// slog request logging, recovery, security headers, gzip), health and metrics
// endpoints, and runs the roles (serve, worker, all) until a signal arrives.
//
// It owns no domain logic: handlers here are thin and call models/, realtime/,
// archive/, admin/ and sources/. It must never keep package-level state.
package app
