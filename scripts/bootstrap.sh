#!/usr/bin/env bash
# Installs what `make run` needs on a fresh machine: uv (through pip when missing) and the
# locked Python environment. Safe to run again; it does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v uv >/dev/null 2>&1 && ! python3 -m uv --version >/dev/null 2>&1; then
  echo "bootstrap: installing uv with pip" >&2
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
uv_cmd() { if command -v uv >/dev/null 2>&1; then uv "$@"; else python3 -m uv "$@"; fi; }
uv_cmd sync --frozen --all-packages --quiet
scripts/install-portal-assets.sh
