"""Rebuild the accountability metrics from 1,000,000 stored events, beside a plain read of them.

`uv run python -m bench.feedback` generates a region's feedback store (see `workload`),
appended through `EventStore` in transactions of 1,000 events, into a SQLite file and a
throwaway PostgreSQL database, then measures on each (see `rebuild`): the floor (reading
every event, decoding nothing), rebuilding the `Accountability` projection from position
0, and the metrics of one organisation and one network afterwards. It writes
`bench/results/feedback_metrics.json` and prints a table. Generating the store is not
measured, and it is most of a run: some 45 minutes for 1,000,000 events into both
databases on 2 (shared) cores, beside a few minutes of rebuilding. With `--workdir DIR`
the store stays in DIR, and a later run with the same `--events` and `--seed` measures it
again without generating it.

`--events 3000 --databases sqlite --results DIR` is a smoke run of a few seconds.
`--profile FILE` profiles one more rebuild (on the first database) with cProfile, writes
the statistics to FILE and prints where the time went.
"""

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from itertools import islice
from pathlib import Path
from typing import Any

import feedback
from bench.feedback import rebuild, workload
from bench.report import (
    RESULTS_DIR,
    Baseline,
    Figure,
    higher_is_better,
    lower_is_better,
    machine_info,
    print_table,
    to_json,
)
from chorus.contracts import events_topic
from chorus.devservers.postgres import LocalPostgres, ensure_postgres_installed, find_pg_bin
from chorus.migrations import upgrade
from chorus.repository import EventCodec
from chorus.store import Database, EventStore, NewEvent, RecordedEvent
from feedback.domain import EVENT_TYPES
from feedback.projections import Accountability

BENCHMARK = "feedback_metrics"
DATABASES = ("sqlite", "postgresql")
LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
APPEND_BATCH = 1_000  # events per transaction while generating
MIGRATIONS = Path(feedback.__file__).parent / "migrations"
REPORTED_ONLY = "none, reported only (ratio = value / baseline)"
KEPT = "store.json"  # in --workdir: what the databases there hold


def main(argv: Sequence[str] | None = None) -> Path:
    """Run the benchmark; return the path of the result file."""
    args = _arguments(argv)
    started = time.monotonic()

    def progress(message: str) -> None:
        print(f"[{time.monotonic() - started:7.1f}s] {message}", file=sys.stderr, flush=True)

    with ExitStack() as stack:
        if args.workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="chorus-bench-")))
        else:
            workdir = args.workdir
            workdir.mkdir(parents=True, exist_ok=True)
        kept = _kept_store(workdir, args)
        urls = {"sqlite": f"sqlite+aiosqlite:///{workdir / 'feedback.db'}"}
        if "postgresql" in args.databases:
            progress("starting PostgreSQL")
            workdir.chmod(0o755)  # PostgreSQL runs as the postgres user when we are root
            postgres = stack.enter_context(_postgres(workdir / "postgres"))
            urls["postgresql"] = postgres.create_database("bench_feedback")
        machine = _machine(args.databases)
        document = asyncio.run(_run(args, {d: urls[d] for d in args.databases}, workdir, kept,
                                    progress))
    document["total_seconds"] = time.monotonic() - started
    path = _write(document, machine, args.results)
    print_table(BENCHMARK, document.pop("_figures"))
    progress(f"wrote {path}")
    return path


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.feedback", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000,
                        help="how many events the store holds (default 1,000,000)")
    parser.add_argument("--databases", type=lambda s: s.split(","), default=list(DATABASES),
                        help="comma-separated subset of: " + ", ".join(DATABASES))
    parser.add_argument("--batch-size", type=int, default=500,
                        help="the projection runner's batch size (default 500, as the service)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="runs of each measurement; figures are medians (default 3)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--results", type=Path, default=RESULTS_DIR,
                        help="directory for the result file (default: bench/results)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where the databases go and stay (default: a temporary "
                             "directory); a later run with the same --events and --seed "
                             "measures them again instead of generating them")
    parser.add_argument("--profile", type=Path, default=None,
                        help="profile one more rebuild with cProfile into this file")
    args = parser.parse_args(argv)
    unknown = set(args.databases) - set(DATABASES)
    if unknown or not args.databases:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown)) or '(none)'}")
    if args.events < 1 or args.rounds < 1 or args.batch_size < 1:
        parser.error("--events, --rounds and --batch-size must be positive")
    return args


async def _run(args: argparse.Namespace, urls: dict[str, str], workdir: Path,
               kept: dict[str, Any] | None, progress: rebuild.Progress) -> dict[str, Any]:
    stores = {name: await _open_store(url) for name, url in urls.items()}
    try:
        region = workload.Region(args.events, args.seed)
        if kept is None:
            for store in stores.values():
                async with store.db.transaction() as tx:
                    await region.record_directory(tx)
            generation = await _generate(region, list(stores.values()), progress)
            _keep(workdir, args, list(stores), region, generation)
        else:
            progress(f"reusing the store of {args.events:,} events kept in {workdir}")
            region.counts.update(kept["counts"])
            generation = kept["generation"]
        scopes = [("network", nw.network_id) for nw in region.networks]
        scopes += [("organisation", o.organisation_id)
                   for nw in region.networks for o in nw.organisations]
        measured = []
        for name, store in stores.items():
            measured.append(await rebuild.measure(
                name, store, args.events, batch_size=args.batch_size, rounds=args.rounds,
                organisation_id=region.busiest_organisation.organisation_id,
                network_id=region.busiest_network.network_id, all_scopes=scopes,
                progress=progress))
        if args.profile is not None:
            name, store = next(iter(stores.items()))
            progress(f"profiling one more rebuild on {name} into {args.profile}")
            await _profile(store, args.batch_size, args.profile)
        return _document(args, region, generation, measured, urls)
    finally:
        for store in stores.values():
            await store.db.dispose()


def _kept_store(workdir: Path, args: argparse.Namespace) -> dict[str, Any] | None:
    """The store a finished earlier run left in `workdir`, if it is the one asked for."""
    marker = workdir / KEPT
    if marker.exists():
        kept: dict[str, Any] = json.loads(marker.read_text())
        if (kept["events"], kept["seed"]) == (args.events, args.seed) and set(
                args.databases) <= set(kept["databases"]):
            return kept
    elif not any(workdir / name for name in ("feedback.db", "postgres")
                 if (workdir / name).exists()):
        return None
    raise SystemExit(f"{workdir} holds another store (or an unfinished one): remove it, or "
                     "give another --workdir")


def _keep(workdir: Path, args: argparse.Namespace, databases: list[str],
          region: workload.Region, generation: dict[str, Any]) -> None:
    """Say what `workdir` now holds, so that a later run with the same --events and --seed
    can measure it again without generating it."""
    (workdir / KEPT).write_text(json.dumps({
        "events": args.events, "seed": args.seed, "databases": databases,
        "counts": dict(region.counts), "generation": generation}, indent=2))


def _postgres(directory: Path) -> LocalPostgres:
    """A new server in `directory`, or the one an earlier run left there, started again."""
    conf = directory / "data" / "postgresql.conf"
    if not conf.exists():
        return LocalPostgres.start(directory)
    port = [line for line in conf.read_text().splitlines() if line.startswith("port = ")][-1]
    server = LocalPostgres(ensure_postgres_installed(), directory.resolve(),
                           int(port.removeprefix("port = ")))
    server.start_again()
    return server


async def _open_store(url: str) -> EventStore:
    db = Database(url)
    await upgrade(db, [MIGRATIONS])
    return EventStore(db, service="feedback", topic=events_topic("feedback"),
                      to_public=_nothing_public)


def _nothing_public(event: RecordedEvent) -> None:
    """Publish nothing: the benchmark's appends leave the outbox empty."""
    return None


async def _generate(region: workload.Region, stores: list[EventStore],
                    progress: rebuild.Progress) -> dict[str, Any]:
    codec = EventCodec(EVENT_TYPES)
    started = time.perf_counter()
    data_bytes = done = 0
    for batch in _batches(region.events(), APPEND_BATCH):
        encoded = [(s, codec.encode(s.event)) for s in batch]
        data_bytes += sum(len(json.dumps(new.data)) for _, new in encoded)
        await asyncio.gather(*(_append(store, encoded) for store in stores))
        done += len(batch)
        if done % 100_000 < APPEND_BATCH:
            progress(f"generated {done:,} of {region.total:,} events")
    return {"seconds": time.perf_counter() - started,
            "mean_event_data_bytes": data_bytes / max(done, 1)}


def _batches(stored: Iterator[workload.Stored], size: int) -> Iterator[list[workload.Stored]]:
    while batch := list(islice(stored, size)):
        yield batch


async def _append(store: EventStore, batch: list[tuple[workload.Stored, NewEvent]]) -> None:
    async with store.db.transaction() as tx:
        for stored, new in batch:
            await store.append(tx, stored.stream_id, stored.stream_type,
                               stored.expected_version, [new])


async def _profile(store: EventStore, batch_size: int, path: Path) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        await rebuild.rebuild_once(store, batch_size)
    finally:
        profiler.disable()
    path.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(path)
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(30)
        print(out.getvalue(), file=sys.stderr)


def _document(args: argparse.Namespace, region: workload.Region, generation: dict[str, Any],
              measured: list[rebuild.Measured], urls: dict[str, str]) -> dict[str, Any]:
    total = sum(region.counts.values())
    handled = sum(count for name, count in region.counts.items()
                  if name in Accountability.handles)
    results = {}
    for m in measured:
        results[m.database] = {
            "events": m.events,
            "batch_size": m.batch_size,
            "floor": m.floor.as_dict(m.events),
            "rebuild": m.rebuild.as_dict(m.events),
            "ratio_rebuild_to_floor": m.ratio,
            "statements_per_event": {name: count / m.events
                                     for name, count in m.statements.items()},
            "metrics_query": {
                "for_organisation": m.organisation_metrics.as_dict(),
                "for_organisation_rows_baseline": m.organisation_rows.as_dict(),
                "for_network": m.network_metrics.as_dict(),
                "for_network_rows_baseline": m.network_rows.as_dict(),
            },
            "rebuilds_give_identical_metrics": m.rebuilds_identical,
        }
        if m.database == "sqlite":
            results[m.database]["file_bytes"] = _sqlite_bytes(urls["sqlite"])
    first = measured[0].metrics_after_each_rebuild[0]
    return {
        "_figures": [figure for m in measured for figure in _figures(m)],
        "events": args.events,
        "databases": [m.database for m in measured],
        "rebuilds_give_identical_metrics": all(m.rebuilds_identical for m in measured),
        "databases_give_identical_metrics": all(
            m.metrics_after_each_rebuild[0] == first for m in measured),
        "results": results,
        "workload": {
            "seed": args.seed,
            "parameters": workload.PARAMETERS,
            "counts": dict(region.counts.most_common()),
            "proportions": {name: count / total for name, count in region.counts.most_common()},
            "share_read_by_accountability": handled / total,
            "metrics_timed_for": {
                "organisation": f"{region.busiest_organisation.name} (the busiest)",
                "network": f"{region.busiest_network.name} (the larger)",
            },
            "generation_seconds": generation["seconds"],
            "mean_event_data_bytes": generation["mean_event_data_bytes"],
            "appended": f"EventStore.append per stream, {APPEND_BATCH:,} events per "
                        "transaction, no outbox rows (to_public publishes nothing)",
        },
    }


def _figures(m: rebuild.Measured) -> list[Figure]:
    label = f"{LABELS[m.database]}, {m.events:,} events"
    floor = Baseline(f"plain read_all loop, batches of {m.batch_size}, no decoding (floor)",
                     m.floor.rate(m.events))
    rate = m.rebuild.rate(m.events)
    rebuilt = Figure(f"rebuild Accountability from 0, {label}", rate, "events/s", floor,
                     rate / floor.value, REPORTED_ONLY, True)
    ms = 1000
    organisation = lower_is_better(
        f"Metrics.for_organisation (busiest), {label}", m.organisation_metrics.median * ms,
        "ms", Baseline("SQL count of the rows it reads",
                       m.organisation_rows.median * ms), below=None)
    network = lower_is_better(
        f"Metrics.for_network (larger), {label}", m.network_metrics.median * ms, "ms",
        Baseline("SQL count of the rows it reads", m.network_rows.median * ms), below=None)
    rounds = len(m.metrics_after_each_rebuild)
    same = sum(metrics == m.metrics_after_each_rebuild[0]
               for metrics in m.metrics_after_each_rebuild)
    identical = higher_is_better(
        f"rebuilds giving the first rebuild's metrics, {LABELS[m.database]}", same, "rebuilds",
        Baseline("rebuilds", rounds), at_least=1.0)
    return [rebuilt, organisation, network, identical]


def _sqlite_bytes(url: str) -> int:
    path = Path(url.removeprefix("sqlite+aiosqlite:///"))
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def _machine(databases: Sequence[str]) -> dict[str, Any]:
    software = {"sqlite": sqlite3.sqlite_version,
                "load_average_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg())}
    if "postgresql" in databases:
        software["postgresql"] = _postgres_version()
    return machine_info(**software)


def _postgres_version() -> str:
    bindir = find_pg_bin()
    if bindir is None:
        return "unknown"
    done = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()


def _write(document: dict[str, Any], machine: dict[str, Any], directory: Path) -> Path:
    """`bench/report.py`'s format (benchmark, machine, figures) and this benchmark's details."""
    figures: list[Figure] = document["_figures"]
    result = json.loads(to_json(BENCHMARK, machine, figures))
    result.update({k: _rounded(v) for k, v in document.items() if not k.startswith("_")})
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{BENCHMARK}.json"
    partial = path.with_suffix(".json.tmp")
    partial.write_text(json.dumps(result, indent=2) + "\n")
    partial.replace(path)
    return path


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, float):
        return float(f"{value:.4g}")
    return value


if __name__ == "__main__":
    main()
