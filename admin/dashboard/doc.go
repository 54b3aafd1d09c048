// Package dashboard is the operations dashboard for superusers: every
// process's heartbeat (internal/heartbeat), marked stale when silent;
// Redis's memory and what it holds of each recent event's live log; every
// source with its runner's state and start, stop and reconnect buttons;
// asynq's queues with retry and delete of failed tasks; and items per
// minute over the last hour, per event and per source, as SVG charts.
//
// # Never
//
// This package never writes a row itself (start and stop go through
// store.AdminSetSourcesEnabled, audited), never imports the live transport
// (it reads the log's size through LiveLog) and never imports the CRUD
// framework, the resources or the console.
package dashboard
