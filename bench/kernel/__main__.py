"""Run the kernel benchmarks: `uv run python -m bench.kernel [--only append,relay,latency]`.

Starts a throwaway PostgreSQL and a local Kafka broker in a temporary directory, runs
each benchmark against them, writes `bench/results/kernel_<name>.json` and prints a table.
"""

import argparse
import asyncio
import importlib.metadata
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from bench.kernel import append, latency, relay
from bench.kernel.load import quiet_logging
from bench.kernel.servers import Servers, local_servers
from bench.report import RESULTS_DIR, Figure, machine_info, print_table, write_result
from chorus.devservers.kafka import kafka_version

Benchmark = Callable[[Servers, Callable[[str], None]], Coroutine[Any, Any, list[Figure]]]
BENCHMARKS: dict[str, Benchmark] = {
    "append": append.run,
    "relay": relay.run,
    "latency": latency.run,
}


def main() -> None:
    args = _arguments()
    quiet_logging()
    started = time.monotonic()

    def progress(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    progress("starting PostgreSQL and Kafka")
    with tempfile.TemporaryDirectory(prefix="chorus-bench-") as workdir, \
            local_servers(Path(workdir)) as servers:
        machine = _machine(servers)
        for name in args.only:
            figures = asyncio.run(BENCHMARKS[name](servers, progress))
            path = write_result(f"kernel_{name}", machine, figures, args.results)
            print_table(f"kernel_{name}", figures)
            progress(f"wrote {path}")
    progress("done")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.kernel", description=__doc__)
    parser.add_argument("--only", type=lambda s: s.split(","), default=list(BENCHMARKS),
                        help="comma-separated subset of: " + ", ".join(BENCHMARKS))
    parser.add_argument("--results", type=Path, default=RESULTS_DIR,
                        help="directory for the result files (default: bench/results)")
    args = parser.parse_args()
    unknown = set(args.only) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    return args


def _machine(servers: Servers) -> dict[str, object]:
    return machine_info(
        chorus_commit=_kernel_commit(),
        postgresql=servers.postgres_version(),
        kafka=kafka_version(),
        sqlite=sqlite3.sqlite_version,
        eventsourcing=importlib.metadata.version("eventsourcing"),
        aiokafka=importlib.metadata.version("aiokafka"),
    )


def _kernel_commit() -> str:
    """The commit the kernel was measured at, `+changes` if shared/ differs from it."""
    repo = Path(__file__).resolve().parents[2]

    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+changes" if git("status", "--porcelain", "--", "shared") else "")


if __name__ == "__main__":
    main()
