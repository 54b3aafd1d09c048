#!/usr/bin/env bash
# redis-cluster.sh starts and stops a local three-master Redis Cluster (no
# replicas) for the tests that show the live log works unchanged on a cluster.
# Everything lives under .data/cluster; ports 57001-57003 on 127.0.0.1 (cluster
# bus on 47001-47003: the default port+10000 is above 65535).
#
#   scripts/redis-cluster.sh up      start (idempotent: reuses a running cluster), wait until every node agrees it is ok
#   scripts/redis-cluster.sh down    stop the three servers and forget the cluster
#   scripts/redis-cluster.sh status  print cluster info
#
# Then: BC_TEST_CLUSTER_ADDRS=127.0.0.1:57001,127.0.0.1:57002,127.0.0.1:57003
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/.data/cluster"
ports=(57001 57002 57003)

log() { printf '[redis-cluster] %s\n' "$*" >&2; }
die() { printf '[redis-cluster] error: %s\n' "$*" >&2; exit 1; }

command -v redis-server >/dev/null || die "redis-server is missing: run scripts/services.sh up (it installs Redis)"

ping() { redis-cli -h 127.0.0.1 -p "$1" ping >/dev/null 2>&1; }
state_ok() { redis-cli -h 127.0.0.1 -p "${ports[0]}" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; }
# settled: every node sees the whole cluster with all slots served, and the
# nodes agree on who serves which. Right after 'cluster create' the first node
# says ok while the others are still learning the slots by gossip: a client
# that connects then is redirected, drops connections and re-subscribes,
# which tests of "no Redis command in steady state" see as noise.
settled() {
  local p info
  for p in "${ports[@]}"; do
    info=$(redis-cli -h 127.0.0.1 -p "$p" cluster info 2>/dev/null) || return 1
    grep -q '^cluster_state:ok' <<<"$info" || return 1
    grep -q '^cluster_slots_ok:16384' <<<"$info" || return 1
    grep -q "^cluster_known_nodes:${#ports[@]}" <<<"$info" || return 1
  done
  redis-cli --cluster check "127.0.0.1:${ports[0]}" 2>/dev/null | grep -q 'All nodes agree about slots configuration'
}

wait_for() { # wait_for SECONDS CMD...
  local n=$(( $1 * 10 )); shift
  for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
  return 1
}

up() {
  if settled; then log "cluster already running on 127.0.0.1:${ports[*]}"; return; fi
  for p in "${ports[@]}"; do
    mkdir -p "$dir/$p"
    if ping "$p"; then continue; fi
    redis-server --bind 127.0.0.1 --port "$p" --dir "$dir/$p" --daemonize yes \
      --pidfile "$dir/$p/redis.pid" --logfile "$dir/$p/redis.log" \
      --cluster-enabled yes --cluster-port $((p - 10000)) --cluster-config-file nodes.conf --cluster-node-timeout 2000 \
      --appendonly yes --appendfsync everysec --maxmemory-policy noeviction --save "" >/dev/null
    wait_for 10 ping "$p" || die "Redis on :$p did not start: see $dir/$p/redis.log"
  done
  # Servers restarted from their nodes.conf form the cluster again by themselves.
  if ! wait_for 3 state_ok; then
    local known
    known=$(redis-cli -h 127.0.0.1 -p "${ports[0]}" cluster info | sed -n 's/^cluster_known_nodes:\([0-9]*\).*/\1/p')
    if [ "${known:-1}" -le 1 ]; then
      local addrs=()
      for p in "${ports[@]}"; do addrs+=("127.0.0.1:$p"); done
      redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes >/dev/null \
        || die "cluster create failed"
    fi
  fi
  wait_for 30 settled || die "cluster did not settle: every node cluster_state:ok with all slots, all agreeing (see $dir/*/redis.log; 'down' then 'up' starts afresh)"
  log "cluster up on 127.0.0.1:${ports[0]}-${ports[2]}: BC_TEST_CLUSTER_ADDRS=127.0.0.1:${ports[0]},127.0.0.1:${ports[1]},127.0.0.1:${ports[2]}"
}

down() {
  for p in "${ports[@]}"; do
    redis-cli -h 127.0.0.1 -p "$p" shutdown nosave >/dev/null 2>&1 && log "stopped :$p" || true
  done
  rm -rf "$dir"
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  status) redis-cli -h 127.0.0.1 -p "${ports[0]}" cluster info ;;
  *) die "usage: $0 up|down|status" ;;
esac
