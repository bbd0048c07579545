#!/usr/bin/env bash
# Installs Debian's Chromium for the portal's browser tests (tests/portal), which Playwright
# for Python launches by its executable path: no browser download from anywhere else.
# Safe to run again: it does nothing when Chromium is already there. Needs root (or sudo).
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
echo "install-browser: installing Debian's chromium package" >&2
as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
  chromium fonts-liberation >/dev/null
chromium --version >&2
