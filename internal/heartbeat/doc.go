// Package heartbeat is how every process says it is alive: each web and
// worker process writes its role, host, memory, goroutines and live clients
// to Redis every few seconds (Start), and the admin dashboard reads them
// (Read), marking the silent ones stale. Keys live under namespace+"proc:".
//
// # Never
//
// This package never imports a package of this project: the wiring (app)
// starts it for each role and the dashboard reads it, so neither needs the
// other.
package heartbeat
