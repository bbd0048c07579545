"""Figure 2: from a participant's join accepted by the registry (its 201) to that person
being matchable in opportunities, at a steady rate (open loop).

Joins are sent on a fixed schedule (after a warm-up at the same rate) whether or not the
earlier ones have been answered. A join stores three events (joined, profile, consent),
which the registry's relay publishes; the opportunities service's consumer applies each
to its pool, and the person is matchable once all three are applied. "Visible" is the
commit time of the transaction that recorded the last of the three in the opportunities
inbox (the same transaction that changed the pool), read back afterwards from PostgreSQL
(`pg_xact_commit_timestamp(xmin)` of the inbox row; `track_commit_timestamp` is on). It is
stamped as the commit record is written, a WAL flush before other sessions can see the
row. "Accepted" is the wall-clock time at which the load generator had the 201. Both are
the same clock (CLOCK_REALTIME, one machine).

The floor of the same path: the bare FastAPI app's `/published` (one INSERT, answered,
then the id sent to Kafka by a bare aiokafka producer) and the bare aiokafka consumer
writing one row per message into its own database, measured the same way (from the 201
to the commit time of the consumer's row), at the same rate.
"""

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import text

from bench.platform.loadgen import LoadGenerator, OpenLoop, summary
from bench.platform.procstats import Watch
from bench.platform.progress import Offsets, settle
from bench.platform.region import Region
from bench.platform.stack import Stack
from chorus.store import Database

Progress = Callable[[str], None]
VISIBLE_WITHIN = 180.0
CHUNK = 5000

PARTICIPANT_EVENTS = text(
    "SELECT stream_id, event_id::text AS event_id FROM events WHERE stream_id = ANY(:ids)")
INBOX_COMMITS = text(
    "SELECT event_id, pg_xact_commit_timestamp(xmin) AS committed FROM inbox "
    "WHERE consumer = :consumer AND event_id = ANY(:ids)")
FLOOR_COMMITS = text(
    "SELECT id, pg_xact_commit_timestamp(xmin) AS committed FROM floor_effects "
    "WHERE id = ANY(:ids)")


@dataclass(frozen=True)
class Journey:
    """One path measured at one rate: load, latencies, what each process used."""

    path: str  # "chorus" or "floor"
    rate: float
    load: dict[str, Any]
    from_accepted: list[float]
    from_sent: list[float]
    expected: int
    seen: int
    usage: dict[str, dict[str, float]]
    settling: dict[str, Any] | None
    reference: bool = False

    def percentile_ms(self, percent: int) -> float:
        return summary(self.from_accepted)[f"p{percent}_ms"]

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "rate": self.rate, "reference": self.reference, **self.load,
                "commands_accepted": self.expected, "effects_visible": self.seen,
                "accepted_to_visible": summary(self.from_accepted),
                "sent_to_visible": summary(self.from_sent),
                "processes": self.usage, "settling_after": self.settling}


async def _chunks(ids: Sequence[str], query: Callable[[list[str]], Any]) -> list[Any]:
    rows: list[Any] = []
    for start in range(0, len(ids), CHUNK):
        rows += await query(list(ids[start:start + CHUNK]))
    return rows


async def _rows(db: Database, statement: Any, **params: Any) -> list[Any]:
    async with db.connect() as conn:
        return list((await conn.execute(statement, params)).all())


async def _commit_times(read: Callable[[list[str]], Any], ids: Sequence[str],
                        expected: int) -> dict[str, float]:
    """Commit time (epoch seconds) of each id's row, waiting until all are there."""
    deadline = time.monotonic() + VISIBLE_WITHIN
    while True:
        rows = await _chunks(ids, read)
        found = {str(key): _epoch(committed) for key, committed in rows}
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.25)


def _epoch(moment: datetime) -> float:
    return moment.timestamp()


def _accepted(records: Iterable[tuple[float, float, int, str | None]]
              ) -> dict[str, tuple[float, float]]:
    return {new_id: (sent, accepted) for sent, accepted, status, new_id in records
            if 200 <= status < 300 and new_id}


async def chorus_path(stack: Stack, region: Region, generator: LoadGenerator, rate: float,
                      warmup: float, seconds: float, databases: dict[str, Database],
                      offsets: Offsets) -> Journey:
    async with Watch(stack.watched(extra={"load generator": generator.pid})) as watch:
        load = await generator.run_async(OpenLoop(region.joins(stack), rate, warmup, seconds,
                                                  "participant_id"))
        accepted = _accepted(load.pop("records"))
        participants = list(accepted)
        events = await _chunks(participants, lambda ids: _rows(
            databases["registry"], PARTICIPANT_EVENTS, ids=ids))
        of = {str(event_id): str(stream) for stream, event_id in events}
        committed = await _commit_times(
            lambda ids: _rows(databases["opportunities"], INBOX_COMMITS,
                              consumer="opportunities", ids=ids), list(of), len(of))
    visible: dict[str, float] = {}
    complete: dict[str, int] = {}
    for event_id, moment in committed.items():
        person = of[event_id]
        visible[person] = max(visible.get(person, 0.0), moment)
        complete[person] = complete.get(person, 0) + 1
    each = Counter(of.values())
    seen = [p for p in participants if p in visible and complete[p] == each[p] >= 3]
    settling = await settle(databases, offsets)
    return Journey("chorus", rate, load, [visible[p] - accepted[p][1] for p in seen],
                [visible[p] - accepted[p][0] for p in seen], len(participants), len(seen),
                watch.as_dict(), settling)


async def floor_path(stack: Stack, region: Region, generator: LoadGenerator, rate: float,
                     warmup: float, seconds: float, floor_db: Database) -> Journey:
    async with Watch(stack.watched(extra={"load generator": generator.pid})) as watch:
        load = await generator.run_async(OpenLoop(region.floor_published(stack), rate, warmup,
                                                  seconds, "id"))
        accepted = _accepted(load.pop("records"))
        ids = list(accepted)
        committed = await _commit_times(
            lambda chunk: _rows(floor_db, FLOOR_COMMITS, ids=chunk), ids, len(ids))
    seen = [i for i in ids if i in committed]
    return Journey("floor", rate, load, [committed[i] - accepted[i][1] for i in seen],
                [committed[i] - accepted[i][0] for i in seen], len(ids), len(seen),
                watch.as_dict(), None)


async def start_floor_consumer(stack: Stack, region: Region, floor_db: Database) -> None:
    """Start the bare consumer and wait until a probe has gone all the way through (the
    consumer group has formed)."""
    stack.floor.consumer.start()
    async with httpx.AsyncClient(base_url=stack.floor.url) as http:
        response = await http.post("/published", json={"probe": True})
        probe = str(response.json()["id"])
    found = await _commit_times(lambda ids: _rows(floor_db, FLOOR_COMMITS, ids=ids),
                                [probe], 1)
    if probe not in found:
        raise RuntimeError(f"the floor consumer never wrote the probe:\n"
                           f"{stack.floor.consumer.log_tail()}")


async def measure(stack: Stack, region: Region, generator: LoadGenerator,
                  rates: Sequence[float], reference: float, warmup: float, seconds: float,
                  databases: dict[str, Database], floor_db: Database, offsets: Offsets,
                  progress: Progress) -> list[Journey]:
    """Both paths at the light reference rate (if any), then at each rate."""
    await start_floor_consumer(stack, region, floor_db)
    journeys: list[Journey] = []
    try:
        for rate, is_reference in [*([(reference, True)] if reference > 0 else []),
                                   *((rate, False) for rate in rates)]:
            for path in ("floor", "chorus"):
                if path == "floor":
                    measured = await floor_path(stack, region, generator, rate, warmup,
                                                seconds, floor_db)
                else:
                    measured = await chorus_path(stack, region, generator, rate, warmup,
                                                 seconds, databases, offsets)
                measured = replace(measured, reference=is_reference)
                journeys.append(measured)
                progress(f"latency: {measured.path} at {rate:g}/s"
                         f"{' (reference)' if is_reference else ''}: p50 "
                         f"{measured.percentile_ms(50):.1f} ms, p99 "
                         f"{measured.percentile_ms(99):.1f} ms, {measured.seen:,} of "
                         f"{measured.expected:,} visible, 2xx at "
                         f"{measured.load['achieved_rate']:.1f}/s, statuses "
                         f"{measured.load['statuses']}")
    finally:
        stack.floor.consumer.stop()
    return journeys
