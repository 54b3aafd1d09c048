#!/usr/bin/env bash
# fuzz.sh runs every Go fuzz target of the module, one after another, each on
# its committed corpus (testdata/fuzz/<Target>/) plus what the fuzzer finds.
#
#   scripts/fuzz.sh            each target for 1,000,000 executions (go tool task fuzz)
#   scripts/fuzz.sh 5s         each target for five seconds (the test task, in CI)
#   scripts/fuzz.sh 2000000x   any -fuzztime Go accepts
#
# A crash stops the run with the failing input written under the package's
# testdata/fuzz/<Target>/: commit it, so every later run replays it as a test.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-1000000x}
log() { printf '[fuzz] %s\n' "$*" >&2; }

mapfile -t pkgs < <(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u)
total=0
for pkg in "${pkgs[@]}"; do
  total=$((total + $(grep -h '^func Fuzz' "$pkg"/*_test.go | wc -l)))
done
log "$total targets in ${#pkgs[@]} packages, -fuzztime $fuzztime each"
n=0
for pkg in "${pkgs[@]}"; do
  mapfile -t targets < <(grep -h '^func Fuzz' "$pkg"/*_test.go | sed -E 's/^func (Fuzz[A-Za-z0-9_]*).*/\1/')
  for t in "${targets[@]}"; do
    n=$((n + 1))
    log "($n/$total) $pkg $t"
    start=$(date +%s)
    out=$(mktemp)
    # -parallel 2: the machines here have two cores.
    if ! go test -run '^$' -fuzz "^${t}\$" -fuzztime "$fuzztime" -fuzzminimizetime 10s -parallel 2 "$pkg" >"$out" 2>&1; then
      cat "$out" >&2; rm -f "$out"
      log "$t failed: the failing input is under $pkg/testdata/fuzz/$t/; commit it"
      exit 1
    fi
    execs=$(grep -oE 'execs: [0-9]+' "$out" | tail -n 1 | grep -oE '[0-9]+' || echo "?")
    rm -f "$out"
    log "($n/$total) $t: $execs executions in $(( $(date +%s) - start ))s"
  done
done
log "all $total targets passed"
