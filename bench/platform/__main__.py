"""The platform under load: the four services as separate processes on PostgreSQL and Kafka.

`uv run python -m bench.platform` starts a throwaway PostgreSQL and a Kafka broker, then
registry, opportunities, feedback and notifications each as its own process (`chorus
serve`, each with its own database), and a bare FastAPI app as the floor. It sets up a
region through the APIs and measures, each figure beside its baseline, at 1x, 2x and 4x
load:

1. commands through HTTP per service process (closed loop), beside the bare endpoint;
2. the latency from a participant's join accepted to the person matchable in
   opportunities (open loop, up to 200 joins/s, after a light reference rate), beside a
   bare HTTP + Kafka path;
3. the opportunities consumer catching up from offset 0 on a registry topic of 1,000,000
   events, beside a raw Kafka consumer reading the same topic;
4. the resident size of each service process, idle and under those loads.

It writes `bench/results/platform.json` and prints a table. The default run takes about
15 minutes on 2 cores; the catch-up is stopped after `--catch-up-seconds` (default 300)
if it has not caught up by then (0: no limit). Smaller sizes make a smoke run:

    python -m bench.platform --clients 1,2,4 --seconds 1 --warmup 0.5 --rates 5,10,20 \\
        --reference-rate 2 --latency-seconds 1 --events 3000 --results /tmp/r
"""

import argparse
import asyncio
import importlib.metadata
import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.kernel.servers import Servers
from bench.platform import catchup, figures, latency, throughput
from bench.platform.loadgen import LoadGenerator
from bench.platform.procstats import MIB, Watch
from bench.platform.progress import Offsets, settle
from bench.platform.region import set_up
from bench.platform.stack import Stack, servers_only, stack
from bench.report import RESULTS_DIR, Figure, machine_info, print_table, write_result
from chorus.devservers.kafka import kafka_version
from chorus.devservers.platform import SERVICES
from chorus.store import Database

BENCHMARK = "platform"
PARTS = ("throughput", "latency", "catchup")


@dataclass(frozen=True)
class Sizes:
    clients: tuple[int, ...]
    warmup: float
    seconds: float
    rates: tuple[float, ...]
    reference_rate: float
    latency_seconds: float
    events: int
    catch_up_seconds: float
    consultations: int
    parts: tuple[str, ...]
    idle_seconds: float


def main(argv: Sequence[str] | None = None, servers: Servers | None = None) -> Path:
    """Run the benchmark (on `servers` if given, else on servers of its own); return the
    path of the result file."""
    args = _arguments(argv)
    sizes = Sizes(tuple(args.clients), args.warmup, args.seconds, tuple(args.rates),
                  args.reference_rate, args.latency_seconds, args.events, args.catch_up_seconds,
                  args.consultations, tuple(args.only), args.idle_seconds)
    started = time.monotonic()

    def progress(message: str) -> None:
        print(f"[{time.monotonic() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    load_at_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="chorus-bench-") as directory:
        workdir = Path(directory)
        workdir.chmod(0o755)  # PostgreSQL runs as the postgres user when we are root
        if servers is None:
            progress("starting PostgreSQL and Kafka")
            with servers_only(workdir / "servers") as own:
                document = _measure_all(own, workdir, sizes, progress)
                machine = _machine(own, load_at_start)
        else:
            from bench.platform.stack import enable_commit_timestamps

            enable_commit_timestamps(servers.postgres)
            document = _measure_all(servers, workdir, sizes, progress)
            machine = _machine(servers, load_at_start)
        if args.logs is not None:
            _keep_logs(workdir, args.logs)
            progress(f"service and floor logs kept in {args.logs}")
    document["total_seconds"] = time.monotonic() - started
    found: list[Figure] = document.pop("_figures")
    path = write_result(BENCHMARK, machine, found, args.results)
    _add_details(path, document)
    print_table(BENCHMARK, found)
    progress(f"wrote {path}")
    return path


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    def numbers(kind: type) -> Any:
        return lambda text: [kind(part) for part in text.split(",")]

    parser = argparse.ArgumentParser(prog="python -m bench.platform", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=numbers(int), default=[8, 16, 32],
                        help="closed-loop clients at 1x, 2x, 4x (default 8,16,32)")
    parser.add_argument("--warmup", type=float, default=2.0,
                        help="seconds of load before each measured window (default 2)")
    parser.add_argument("--seconds", type=float, default=8.0,
                        help="measured window of each throughput run (default 8)")
    parser.add_argument("--rates", type=numbers(float), default=[50.0, 100.0, 200.0],
                        help="open-loop joins/s at 1x, 2x, 4x (default 50,100,200)")
    parser.add_argument("--reference-rate", type=float, default=10.0,
                        help="a light open-loop rate measured first, where nothing should "
                             "queue (default 10 joins/s; 0: none)")
    parser.add_argument("--latency-seconds", type=float, default=10.0,
                        help="measured seconds of each latency run (default 10)")
    parser.add_argument("--events", type=int, default=1_000_000,
                        help="events in the registry's topic for the catch-up (default "
                             "1,000,000)")
    parser.add_argument("--catch-up-seconds", type=float, default=300.0,
                        help="stop the catch-up after this long (default 300; 0: no limit)")
    parser.add_argument("--idle-seconds", type=float, default=5.0,
                        help="seconds the idle platform is watched before any load (default 5)")
    parser.add_argument("--consultations", type=int, default=20,
                        help="consultations the responses are spread over (default 20)")
    parser.add_argument("--only", type=lambda s: s.split(","), default=list(PARTS),
                        help="comma-separated subset of: " + ", ".join(PARTS))
    parser.add_argument("--logs", type=Path, default=None,
                        help="keep the services' and the floor's logs in this directory")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR,
                        help="directory for the result file (default: bench/results)")
    args = parser.parse_args(argv)
    unknown = set(args.only) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    if min(args.clients) < 1 or min(args.rates) <= 0 or args.events < 1:
        parser.error("--clients, --rates and --events must be positive")
    return args


def _measure_all(servers: Servers, workdir: Path, sizes: Sizes,
                 progress: Any) -> dict[str, Any]:
    generator = LoadGenerator()
    generator.start()
    try:
        progress("starting the four services (chorus serve) and the floor")
        with stack(servers, workdir) as running:
            progress("services ready")
            return asyncio.run(_measure(running, generator, sizes, progress))
    finally:
        generator.stop()


async def _measure(running: Stack, generator: LoadGenerator, sizes: Sizes,
                   progress: Any) -> dict[str, Any]:
    async with AsyncExitStack() as exits:
        databases = {name: Database(running.database_urls[name]) for name in SERVICES}
        floor_db = Database(running.database_urls["floor"])
        for db in (*databases.values(), floor_db):
            exits.push_async_callback(db.dispose)
        offsets = Offsets(running.servers.bootstrap_servers)
        exits.callback(offsets.close)

        region = await set_up(running, sizes.consultations)
        await settle(databases, offsets)
        async with Watch(running.watched()) as resting:
            await asyncio.sleep(sizes.idle_seconds)
        idle = {name: use.last_bytes / MIB for name, use in resting.usage.items()}
        progress("idle: " + ", ".join(
            f"{name} {size:.0f} MiB, {resting.usage[name].cpu_seconds / resting.seconds:.0%} "
            "of a core" for name, size in idle.items()))

        runs: list[throughput.Run] = []
        journeys: list[latency.Journey] = []
        catch_up: dict[str, Any] | None = None
        if "throughput" in sizes.parts:
            runs = await throughput.measure(running, region, generator, sizes.clients,
                                            sizes.warmup, sizes.seconds, databases, offsets,
                                            progress)
        if "latency" in sizes.parts:
            journeys = await latency.measure(running, region, generator, sizes.rates,
                                             sizes.reference_rate, sizes.warmup,
                                             sizes.latency_seconds, databases, floor_db,
                                             offsets, progress)
        if "catchup" in sizes.parts:
            catch_up = await catchup.measure(running, offsets, sizes.events,
                                             sizes.catch_up_seconds, progress)
    memory = figures.memory(idle, runs, journeys, catch_up)
    found = [*figures.throughput_figures(runs), *figures.latency_figures(journeys),
             *(figures.catch_up_figures(catch_up) if catch_up else []),
             *figures.memory_figures(memory)]
    return {
        "_figures": found,
        "sizes": {"clients": sizes.clients, "warmup_seconds": sizes.warmup,
                  "throughput_seconds": sizes.seconds, "rates": sizes.rates,
                  "reference_rate": sizes.reference_rate,
                  "latency_seconds": sizes.latency_seconds, "catch_up_events": sizes.events,
                  "catch_up_time_limit_seconds": sizes.catch_up_seconds or None,
                  "consultations": sizes.consultations, "parts": sizes.parts,
                  "idle_seconds": sizes.idle_seconds},
        "throughput": [run.as_dict() for run in runs],
        "latency": [journey.as_dict() for journey in journeys],
        "catch_up": catch_up,
        "idle": {"seconds": resting.seconds, "processes": resting.as_dict()},
        "memory": memory,
        "growth": figures.growth(runs, journeys, catch_up, memory),
        "load_average_at_end": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def _keep_logs(workdir: Path, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for log in [*workdir.glob("platform/*.log"), *workdir.glob("floor-*.log")]:
        shutil.copy(log, directory / log.name)


def _machine(servers: Servers, load_at_start: str) -> dict[str, Any]:
    return machine_info(
        postgresql=servers.postgres_version(), kafka=kafka_version(),
        aiokafka=importlib.metadata.version("aiokafka"),
        fastapi=importlib.metadata.version("fastapi"),
        uvicorn=importlib.metadata.version("uvicorn"),
        load_average_at_start=load_at_start)


def _add_details(path: Path, document: dict[str, Any]) -> None:
    """Put the run's details beside `bench/report.py`'s benchmark, machine and figures."""
    result = json.loads(path.read_text())
    result.update(_rounded(document))
    partial = path.with_suffix(".json.tmp")
    partial.write_text(json.dumps(result, indent=2) + "\n")
    partial.replace(path)


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    if isinstance(value, float):
        return float(f"{value:.4g}") if math.isfinite(value) else None
    return value


if __name__ == "__main__":
    main()
