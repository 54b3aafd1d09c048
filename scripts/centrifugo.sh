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

# go install leaves the release version out of `centrifugo version` (v0.0.0);
# the module version is in the build info.
if [ -x "$bin" ] && go version -m "$bin" 2>/dev/null | grep -q "centrifugo/v6[[:space:]]*$version"; then
  echo "$bin"
  exit 0
fi
mkdir -p "$root/.data/bin"
log "installing Centrifugo $version with go install (about 3 minutes the first time)"
GOBIN="$root/.data/bin" GOFLAGS=-mod=mod go install "github.com/centrifugal/centrifugo/v6@$version"
go version -m "$bin" | grep -m1 'mod.*centrifugo' >&2
echo "$bin"
