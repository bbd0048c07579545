#!/usr/bin/env bash
# Builds the pinned kustomize into .tools/bin through the Go module proxy, for tests/deploy
# (which render the overlays of deploy/k8s). Safe to run again: a matching binary is kept.
# Needs Go 1.21 or newer on PATH; a Go older than kustomize asks for fetches the newer
# toolchain through the module proxy (GOTOOLCHAIN=auto).
set -euo pipefail
cd "$(dirname "$0")/.."

version=v5.8.1  # its go.mod asks for Go 1.24; newer ones need a newer Go
tools="$PWD/.tools"
binary="$tools/bin/kustomize"

if [ -x "$binary" ] && [ "$("$binary" version 2>/dev/null)" = "$version" ]; then
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "install-kustomize: Go is not on PATH; install Go 1.21+ (https://go.dev/dl/)" >&2
  exit 1
fi
mkdir -p "$tools/bin"
printf '*\n' >"$tools/.gitignore"  # the folder ignores itself: nothing in it is committed
echo "install-kustomize: building kustomize $version into $tools/bin" >&2
GOBIN="$tools/bin" GOFLAGS=-mod=mod GOTOOLCHAIN=auto go install "sigs.k8s.io/kustomize/kustomize/v5@$version"
"$binary" version >/dev/null
