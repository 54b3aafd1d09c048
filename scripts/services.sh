#!/usr/bin/env bash
# services.sh starts and stops the local PostgreSQL and Redis that the app and
# its tests use. Everything lives under .data/ in the checkout; nothing touches
# the system's own database or Redis service.
#
#   scripts/services.sh up      install if missing, start (idempotent), create the dev database
#   scripts/services.sh down    stop both servers
#   scripts/services.sh status  say what is running
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data="$root/.data"
pg_port=${BC_PG_PORT:-55432}
redis_port=${BC_REDIS_PORT:-56379}
pg_user=backchannel
pg_password=backchannel

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root to run: $*"; fi
}

pg_bindir() {
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir; return; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] && { echo "$d"; return; }
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return; }
  return 1
}

install_missing() {
  local pkgs=()
  pg_bindir >/dev/null || pkgs+=(postgresql)
  command -v redis-server >/dev/null || pkgs+=(redis-server)
  [ ${#pkgs[@]} -eq 0 ] && return
  if ! command -v apt-get >/dev/null; then
    die "missing ${pkgs[*]}: install PostgreSQL (>= 14, with initdb) and Redis (>= 7) with your system's package manager (e.g. 'brew install postgresql redis', 'dnf install postgresql-server redis') and run again"
  fi
  log "installing ${pkgs[*]} from the system's packages"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${pkgs[@]}" >/dev/null
}

# run_pg runs a PostgreSQL binary as the postgres user when we are root
# (initdb and postgres refuse to run as root).
run_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

wait_for() { # wait_for SECONDS CMD...
  local n=$(( $1 * 10 )); shift
  for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# pg_datadir is where the cluster lives: .data/postgres, unless we run as root
# and a parent folder is closed to the postgres user (then a folder of its own
# under /var/tmp, named after this checkout).
pg_datadir() {
  mkdir -p "$data"
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$data" 2>/dev/null; then
    echo "/var/tmp/backchannel-pg-$(printf '%s' "$root" | md5sum | cut -c1-12)"
  else
    echo "$data/postgres"
  fi
}

pg_up() {
  local bin; bin=$(pg_bindir) || die "PostgreSQL binaries not found"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "user 'postgres' is missing: install the postgresql package"
  fi
  local pgdata; pgdata=$(pg_datadir)
  [ "$pgdata" = "$data/postgres" ] || log "$data is closed to user postgres; keeping PostgreSQL data in $pgdata"
  if [ ! -s "$pgdata/PG_VERSION" ]; then
    log "initialising PostgreSQL in $pgdata"
    mkdir -p "$pgdata"
    [ "$(id -u)" = 0 ] && chown postgres: "$pgdata"
    chmod 700 "$pgdata"
    local pw; pw=$(mktemp); echo "$pg_password" >"$pw"; chmod 644 "$pw"
    run_pg "$bin/initdb" -D "$pgdata" -U "$pg_user" --pwfile="$pw" --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pw"
  fi
  if "$bin/pg_isready" -h 127.0.0.1 -p "$pg_port" -q; then
    log "PostgreSQL already running on 127.0.0.1:$pg_port"
  else
    local extra=()
    [ "${BC_PG_FSYNC:-on}" = off ] && extra=(-c fsync=off -c synchronous_commit=off -c full_page_writes=off)
    run_pg "$bin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w -s \
      -o "-h 127.0.0.1 -p $pg_port -c unix_socket_directories=$pgdata -c max_connections=300 ${extra[*]}" start \
      || die "PostgreSQL did not start: see $pgdata/server.log"
    wait_for 30 "$bin/pg_isready" -h 127.0.0.1 -p "$pg_port" -q || die "PostgreSQL not ready on :$pg_port"
    log "PostgreSQL started on 127.0.0.1:$pg_port"
  fi
  PGPASSWORD=$pg_password "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U "$pg_user" -d postgres -Atqc \
    "SELECT 1 FROM pg_database WHERE datname='backchannel'" | grep -q 1 ||
    PGPASSWORD=$pg_password "$bin/createdb" -h 127.0.0.1 -p "$pg_port" -U "$pg_user" backchannel
}

redis_up() {
  local dir="$data/redis"
  mkdir -p "$dir"
  if redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
    log "Redis already running on 127.0.0.1:$redis_port"; return; fi
  redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$dir" --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
    --appendonly yes --appendfsync everysec --maxmemory-policy noeviction --save "" >/dev/null
  wait_for 10 redis-cli -p "$redis_port" ping || die "Redis did not start: see $dir/redis.log"
  log "Redis started on 127.0.0.1:$redis_port (AOF on)"
}

down() {
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 && log "Redis stopped" || true
  local bin; bin=$(pg_bindir 2>/dev/null) || return 0
  local pgdata; pgdata=$(pg_datadir)
  if [ -s "$pgdata/postmaster.pid" ]; then
    run_pg "$bin/pg_ctl" -D "$pgdata" -m fast -w -s stop && log "PostgreSQL stopped" || true
  fi
}

case "${1:-up}" in
  up) install_missing; pg_up; redis_up ;;
  down) down ;;
  status)
    bin=$(pg_bindir 2>/dev/null || true)
    [ -n "$bin" ] && "$bin/pg_isready" -h 127.0.0.1 -p "$pg_port" || echo "PostgreSQL: not running"
    redis-cli -p "$redis_port" ping 2>/dev/null || echo "Redis: not running" ;;
  *) die "usage: $0 up|down|status" ;;
esac
