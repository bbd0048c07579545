#!/usr/bin/env bash
# Installs what the tests' real servers need: Java and Maven (for the Kafka broker, whose
# jars come from Maven Central) and PostgreSQL, from Debian's packages when missing, then
# resolves the Kafka jars into the cache. The tests start and stop the servers themselves.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "test-servers: please install ${missing[*]} (needs root)" >&2; exit 1
  fi
  echo "test-servers: installing ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
uv_cmd() { if command -v uv >/dev/null 2>&1; then uv "$@"; else python3 -m uv "$@"; fi; }
uv_cmd run --frozen python - <<'PY'
from chorus.devservers.kafka import ensure_jars, kafka_version
from chorus.devservers.postgres import ensure_postgres_installed

say = lambda line: print(f"test-servers: {line}", flush=True)
say(f"PostgreSQL binaries in {ensure_postgres_installed(say)}")
say(f"Kafka {kafka_version()} jars in {ensure_jars(progress=say)}")
PY
