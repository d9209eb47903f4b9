#!/usr/bin/env bash
# Prints the path of grpcurl (the generic gRPC CLI the gRPC tests call Logbook with by reflection alone),
# installing the pinned version from the Go module proxy into .logbook/bin the first time.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
version=v1.9.4
bin="$repo/.logbook/bin"
# `go install` builds report no version: a stamp says which one is there.
if [ ! -x "$bin/grpcurl" ] || [ "$(cat "$bin/grpcurl.version" 2>/dev/null)" != "$version" ]; then
  command -v go >/dev/null || { echo "grpcurl.sh: Go is needed to install grpcurl $version" >&2; exit 1; }
  mkdir -p "$bin"
  echo "[grpcurl] installing grpcurl $version into $bin" >&2
  GOBIN="$bin" GOFLAGS=-mod=mod go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$version" >&2
  echo "$version" >"$bin/grpcurl.version"
fi
echo "$bin/grpcurl"
