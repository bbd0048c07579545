"""Rebuilding the accountability metrics from the store, beside a plain read of the store.

For one database holding the generated region (see `workload`):

* **floor**: a plain loop reading every event with `EventStore.read_all` in batches of the
  projection runner's batch size, one reading transaction (`Database.snapshot`) per batch,
  decoding nothing: what any replay must pay to get the rows out;
* **rebuild**: `ProjectionRunner(store, Accountability(codec), batch_size=...)`, reset
  (not timed), then `catch_up()` from position 0 (the statements each sends are counted
  in the first round);
* **metrics**: `Metrics(db).for_organisation(...)` for the busiest organisation and
  `.for_network(...)` for the larger network, as a network admin, after the last rebuild
  (one warm-up each), beside counting (in SQL) the read-model rows they are computed from.

Floor and rebuild take turns, `rounds` times; each figure is the median. After every
rebuild the metrics of every organisation and both networks are computed (not timed) and
compared: each rebuild must give the same metrics.
"""

import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import event, func, select

from chorus.auth import Principal, Role
from chorus.projections import ProjectionRunner
from chorus.repository import EventCodec
from chorus.store import Database, EventStore
from feedback.application.metrics import Figures, Metrics
from feedback.domain import EVENT_TYPES
from feedback.projections import (
    Accountability,
    m_consultations,
    m_expenses,
    m_involvement,
    m_opportunities,
    m_stories,
    m_story_organisations,
)

ADMIN = Principal(subject="bench", role=Role.NETWORK_ADMIN)

Progress = Callable[[str], None]


@dataclass
class Timings:
    """Seconds per run of one measurement."""

    seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def rate(self, events: int) -> float:
        return events / self.median

    def as_dict(self, events: int | None = None) -> dict[str, Any]:
        result: dict[str, Any] = {"median_seconds": self.median, "runs_seconds": self.seconds}
        if events is not None:
            result["events_per_second"] = self.rate(events)
        return result


@dataclass
class Measured:
    """Everything measured on one database."""

    database: str
    events: int
    batch_size: int
    floor: Timings = field(default_factory=Timings)
    rebuild: Timings = field(default_factory=Timings)
    organisation_metrics: Timings = field(default_factory=Timings)
    organisation_rows: Timings = field(default_factory=Timings)
    network_metrics: Timings = field(default_factory=Timings)
    network_rows: Timings = field(default_factory=Timings)
    metrics_after_each_rebuild: list[dict[str, Figures]] = field(default_factory=list)
    statements: dict[str, int] = field(default_factory=dict)  # per measurement, first round

    @property
    def rebuilds_identical(self) -> bool:
        first, *others = self.metrics_after_each_rebuild
        return all(other == first for other in others)

    @property
    def ratio(self) -> float:
        return self.rebuild.rate(self.events) / self.floor.rate(self.events)


async def measure(database: str, store: EventStore, events: int, *, batch_size: int,
                  rounds: int, organisation_id: UUID, network_id: UUID,
                  all_scopes: list[tuple[str, UUID]], progress: Progress) -> Measured:
    measured = Measured(database, events, batch_size)
    runner = ProjectionRunner(store, Accountability(EventCodec(EVENT_TYPES)),
                              batch_size=batch_size)
    metrics = Metrics(store.db)
    for number in range(1, rounds + 1):
        with counting(store.db, measured.statements, "floor", first=number == 1):
            seconds, read = await timed(lambda: read_everything(store, batch_size))
        _check_count("floor", read, events)
        measured.floor.seconds.append(seconds)
        progress(f"{database}: round {number}: floor {events / seconds:,.0f} events/s")
        await runner.reset()
        with counting(store.db, measured.statements, "rebuild", first=number == 1):
            seconds, applied = await timed(runner.catch_up)
        _check_count("rebuild", applied, events)
        measured.rebuild.seconds.append(seconds)
        progress(f"{database}: round {number}: rebuild {events / seconds:,.0f} events/s")
        measured.metrics_after_each_rebuild.append(await every_metric(metrics, all_scopes))
    await _time_metrics(measured, metrics, store.db, organisation_id, network_id, rounds)
    progress(f"{database}: metrics for an organisation "
             f"{measured.organisation_metrics.median * 1000:.1f} ms, for a network "
             f"{measured.network_metrics.median * 1000:.1f} ms")
    return measured


@contextmanager
def counting(db: Database, counts: dict[str, int], name: str, *, first: bool) -> Iterator[None]:
    """Count the statements sent to the database (one per execute or executemany) in the
    first round only; a listener costs about a microsecond a statement."""
    if not first:
        yield
        return
    counts[name] = 0

    def count(*_: object) -> None:
        counts[name] += 1

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)


async def timed(work: Callable[[], Awaitable[int]]) -> tuple[float, int]:
    started = time.perf_counter()
    count = await work()
    return time.perf_counter() - started, count


async def read_everything(store: EventStore, batch_size: int) -> int:
    """The floor: read every event in batches, as the runner reads them, and nothing else."""
    position = count = 0
    while True:
        async with store.db.snapshot() as tx:
            batch = await store.read_all(tx, position, batch_size)
        if not batch:
            return count
        count += len(batch)
        position = batch[-1].position


async def rebuild_once(store: EventStore, batch_size: int) -> int:
    """Reset the read model and rebuild it (for profiling)."""
    runner = ProjectionRunner(store, Accountability(EventCodec(EVENT_TYPES)),
                              batch_size=batch_size)
    await runner.reset()
    return await runner.catch_up()


async def every_metric(metrics: Metrics, scopes: list[tuple[str, UUID]]) -> dict[str, Figures]:
    figures = {}
    for kind, scope_id in scopes:
        if kind == "organisation":
            figures[f"organisation {scope_id}"] = await metrics.for_organisation(scope_id, ADMIN)
        else:
            figures[f"network {scope_id}"] = await metrics.for_network(scope_id, ADMIN)
    return figures


async def _time_metrics(measured: Measured, metrics: Metrics, db: Database,
                        organisation_id: UUID, network_id: UUID, rounds: int) -> None:
    cases: list[tuple[Timings, Callable[[], Awaitable[object]]]] = [
        (measured.organisation_metrics,
         lambda: metrics.for_organisation(organisation_id, ADMIN)),
        (measured.organisation_rows, lambda: scoped_rows(db, "organisation", organisation_id)),
        (measured.network_metrics, lambda: metrics.for_network(network_id, ADMIN)),
        (measured.network_rows, lambda: scoped_rows(db, "network", network_id)),
    ]
    for _, call in cases:
        await call()  # warm-up
    for _ in range(rounds):
        for timings, call in cases:
            started = time.perf_counter()
            await call()
            timings.seconds.append(time.perf_counter() - started)


async def scoped_rows(db: Database, kind: str, scope_id: UUID) -> int:
    """The metrics' baseline: count, in SQL, the read-model rows of the organisation or
    network that the metrics read (consultations, stories, opportunities, involvement,
    expenses): the same tables and indexes, without grouping, joins or fetching rows."""
    column = "organisation_id" if kind == "organisation" else "network_id"
    stories = (m_story_organisations if kind == "organisation" else m_stories)
    tables = (m_consultations, stories, m_opportunities, m_involvement, m_expenses)
    rows = 0
    async with db.snapshot() as tx:
        for table in tables:
            query = select(func.count()).select_from(table).where(table.c[column] == scope_id)
            rows += int((await tx.conn.execute(query)).scalar_one())
    return rows


def _check_count(what: str, counted: int, events: int) -> None:
    if counted != events:
        raise RuntimeError(f"the {what} went through {counted} events, not {events}")
