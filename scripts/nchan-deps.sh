#!/usr/bin/env bash
# nchan-deps.sh installs nginx with the nchan module from Debian's packages
# (nginx-light, libnginx-mod-nchan): the peer `task load` compares the live
# path with. Idempotent; the packaged nginx service is left stopped.
set -euo pipefail
log() { printf '[nchan-deps] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ -f /usr/lib/nginx/modules/ngx_nchan_module.so ] && command -v nginx >/dev/null 2>&1; then
  exit 0
fi
command -v apt-get >/dev/null || { log "install nginx and its nchan module (Debian: nginx-light libnginx-mod-nchan) and run again"; exit 1; }
log "installing nginx-light and libnginx-mod-nchan from the system's packages"
as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nginx-light libnginx-mod-nchan >/dev/null
# The package starts its own nginx on port 80; the bench runs its own.
as_root service nginx stop >/dev/null 2>&1 || true
