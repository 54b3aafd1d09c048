// Package apitest runs table-driven HTTP scenarios against a real fiber app
// over real Postgres and Redis (internal/testenv), in the manner of
// pocketbase's ApiScenario: a test lists what it sends (method, path,
// headers, body), what must come back (status, headers, body fragments, JSON
// values) and which side effects the request must have left behind (rows in
// Postgres, keys in Redis, entries appended to an event's live log), and Run
// executes each scenario as a subtest and checks all of it.
//
// Side effects are measured around the request: the live log's head is read
// before and after, so a scenario states exactly what its request appended;
// row counts and keys are checked after the request.
//
// # Never
//
// This package never mocks a store and never builds the app itself: the test
// hands it the app it means to test, wired as production wires it.
package apitest
