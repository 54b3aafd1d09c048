// Command chaos proves the live path under fire: it runs the fake upstreams
// of sources/fakes (a Mastodon instance, Bluesky's Jetstream with cursor
// replay and its AppView, X's filtered stream with keep-alives, reconnect
// gaps and backfill; -source mastodon|bluesky|x|all) that emit a known
// sequence of items, the real binary as two
// web nodes and two workers on a Redis and a Postgres database of its own,
// and a crowd of long-poll clients spread over both nodes, while it kills
// (-9) and restarts every process (a worker fault aims at the worker whose
// runner holds the source's lease), Redis and Postgres. At the end it checks
// that every emitted item reached the live log, Postgres and every client
// exactly once and in order, prints a table, and exits non-zero otherwise.
//
//	go build -o bin/backchannel ./cmd/backchannel
//	go run ./bench/chaos                          # 100,000 items at 500/s, 200 clients
//	go run ./bench/chaos -items 3000 -rate 200 -clients 50 -kills 1
//	go run ./bench/chaos -faults none             # the checker alone: must print all zeros
//	go run ./bench/chaos -source all -faults worker,web,redis  # every kind, without restarting the shared Postgres
//	go run ./bench/chaos -cluster                 # Redis Cluster (scripts/redis-cluster.sh)
//	go run ./bench/chaos -mode load               # bench/livepoll at 1,000 / 10,000 / 19,000 clients
//	go run ./bench/chaos -mode soak -duration 10m # steady load; goroutines and RSS at start and end
//
// It owns only what it starts: its Postgres cluster (internal/pgcluster,
// under .data/chaos/pg-<random>, which the "postgres" fault stops with -m
// immediate and starts again; removed after a clean run), its database in
// it, its redis-server (a spare port, data under .data/chaos/), the child
// processes (logs under .data/chaos/logs/) and the fake upstreams. It talks
// to loopback addresses only, stops by itself, and cleans up on every exit
// path, Ctrl-C included. With -pg it uses that shared cluster instead, and
// the "postgres" fault restarts all of it (pg_ctl restart -m immediate).
package main
