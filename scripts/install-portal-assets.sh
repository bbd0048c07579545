#!/usr/bin/env bash
# Installs the portal's front-end packages from the npm registry into
# services/portal/node_modules (ignored by git): nhsuk-frontend and htmx.org, which the portal
# serves, and axe-core, which its browser tests inject. Exactly the versions in
# services/portal/package-lock.json (`npm ci`). Safe to run again: nothing is done when the
# installed packages already match the lock file. Installs Debian's nodejs and npm if needed.
set -euo pipefail
cd "$(dirname "$0")/../services/portal"

installed() {  # every package of the lock file is in node_modules at its locked version
  command -v node >/dev/null 2>&1 && node -e '
    const lock = require("./package-lock.json");
    for (const [path, meta] of Object.entries(lock.packages)) {
      if (path && require("./" + path + "/package.json").version !== meta.version) process.exit(1);
    }' 2>/dev/null
}
if installed; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
  echo "install-portal-assets: installing Debian's nodejs and npm" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nodejs npm >/dev/null
fi
echo "install-portal-assets: npm ci in services/portal" >&2
npm ci --no-audit --no-fund --loglevel=error
