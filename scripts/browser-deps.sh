#!/usr/bin/env bash
# browser-deps.sh installs what the browser tests need: Debian's chromium and
# playwright-core from npm (pinned in tests/browser/package.json). Idempotent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
log() { printf '[browser-deps] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v chromium >/dev/null 2>&1; then
  command -v apt-get >/dev/null || { log "install Chromium (package 'chromium') and run again"; exit 1; }
  log "installing chromium from the system's packages"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
fi
command -v node >/dev/null || { log "Node.js is required for the browser tests (apt-get install nodejs npm)"; exit 1; }
cd "$root/tests/browser"
if [ ! -d node_modules/playwright-core ]; then
  log "installing playwright-core from npm"
  npm install --no-audit --no-fund --loglevel=error >/dev/null
fi
