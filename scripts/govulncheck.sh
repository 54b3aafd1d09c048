#!/usr/bin/env bash
# govulncheck.sh checks the module against Go's vulnerability database with
# no network but the Go module proxy: the proxy serves golang.org/x/vulndb,
# whose data/osv folder is the database; its cmd/indexdb turns that into the
# directory `govulncheck -db file://…` reads. The index is kept under
# .data/vulndb/ and built once per database version (about 90 s).
#
# Bump VULNDB_VERSION to take a newer database: `go list -m golang.org/x/vulndb@latest`.
set -euo pipefail
cd "$(dirname "$0")/.."
vulndb_version=${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}
govulncheck_version=v1.9.0
db="$PWD/.data/vulndb/$vulndb_version"
log() { printf '[govulncheck] %s\n' "$*" >&2; }

if [ ! -s "$db/index/db.json" ]; then
  log "indexing the vulnerability database golang.org/x/vulndb@$vulndb_version (once)"
  src=$(go mod download -json "golang.org/x/vulndb@$vulndb_version" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src/data/osv" ] || { log "error: golang.org/x/vulndb@$vulndb_version has no data/osv"; exit 1; }
  rm -rf "$db.tmp" && mkdir -p "$db.tmp"
  go run "golang.org/x/vulndb/cmd/indexdb@$vulndb_version" -vulns "$src/data/osv" -out "$db.tmp"
  rm -rf "$db" && mv "$db.tmp" "$db"
fi
log "checking with $(go env GOVERSION) against the database of $vulndb_version"
go run "golang.org/x/vuln/cmd/govulncheck@$govulncheck_version" -db "file://$db" ./...
