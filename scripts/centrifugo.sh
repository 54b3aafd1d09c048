#!/usr/bin/env bash
# centrifugo.sh installs Centrifugo v6.9.1 (the peer `task load` compares our
# SSE with) into .data/bin from the Go module proxy: `go install`, about three
# minutes of compiling the first time. Idempotent; the binary is never
# committed (.data/ is ignored). Prints the binary's path.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=v6.9.1
bin="$root/.data/bin/centrifugo"
log() { printf '[centrifugo] %s\n' "$*" >&2; }

if [ -x "$bin" ] && "$bin" version 2>/dev/null | grep -q "${version#v}"; then
  echo "$bin"
  exit 0
fi
mkdir -p "$root/.data/bin"
log "installing Centrifugo $version with go install (about 3 minutes the first time)"
GOBIN="$root/.data/bin" GOFLAGS=-mod=mod go install "github.com/centrifugal/centrifugo/v6@$version"
"$bin" version >&2
echo "$bin"
