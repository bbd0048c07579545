"""Figure 1: append throughput of chorus's EventStore beside the `eventsourcing` library.

Every transaction starts a new stream of 1 or 100 events. Chorus appends through
`Database.transaction()` and `EventStore.append` on a database migrated by
`chorus.migrations.upgrade`, with an outbox row per event (every event has a public
contract) and, separately, without one. `eventsourcing` inserts `StoredEvent`s with the
same JSON payload through its application recorder (`insert_events`, one transaction
each). Each side has its own fresh database; the sides take turns in rounds, so drift
of the machine touches them alike.
"""

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import uuid4

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore
from sqlalchemy.engine import make_url

from bench.kernel.servers import Servers
from bench.kernel.workload import (
    EVENT_TYPE,
    append_stream,
    event_data,
    new_events,
    nothing_public,
    open_store,
    payload,
    to_public,
)
from bench.report import Baseline, Figure, higher_is_better

ROUNDS = 3
EVENTS_PER_ROUND = {1: 1_000, 100: 10_000}
WARMUP_EVENTS = {1: 300, 100: 2_000}
DATABASES = ("sqlite", "postgresql")


@dataclass
class Appender:
    """One way of appending: a transaction of `per_tx` events, and how to clean up."""

    name: str
    append: Callable[[int], Awaitable[None]]
    close: Callable[[], Awaitable[None]]
    seconds: float = 0.0
    events: int = 0

    async def run(self, per_tx: int, events: int) -> None:
        started = time.perf_counter()
        for _ in range(events // per_tx):
            await self.append(per_tx)
        self.seconds += time.perf_counter() - started
        self.events += events

    @property
    def rate(self) -> float:
        return self.events / self.seconds


async def chorus_appender(servers: Servers, database: str, *, outbox: bool) -> Appender:
    url = servers.sqlite_url("append") if database == "sqlite" else servers.postgres_url("append")
    store = await open_store(url, public=to_public if outbox else nothing_public)

    async def append(per_tx: int) -> None:
        await append_stream(store, new_events(per_tx))

    name = "chorus + outbox" if outbox else "chorus, no outbox"
    return Appender(name, append, store.db.dispose)


def eventsourcing_appender(servers: Servers, database: str) -> Appender:
    recorder = _sqlite_recorder(servers) if database == "sqlite" else _postgres_recorder(servers)
    recorder.create_table()

    async def append(per_tx: int) -> None:  # the library is synchronous: no await inside
        originator_id = uuid4()
        recorder.insert_events([
            StoredEvent(originator_id, version, f"bench:{EVENT_TYPE}", payload(event_data()))
            for version in range(1, per_tx + 1)
        ])

    async def close() -> None:
        recorder.datastore.close()

    return Appender(f"eventsourcing {type(recorder).__name__}", append, close)


def _sqlite_recorder(servers: Servers) -> SQLiteApplicationRecorder:
    return SQLiteApplicationRecorder(SQLiteDatastore(str(servers.sqlite_path("eventsourcing"))))


def _postgres_recorder(servers: Servers) -> PostgresApplicationRecorder:
    url = make_url(servers.postgres_url("eventsourcing"))
    assert url.database is not None and url.host is not None
    datastore = PostgresDatastore(url.database, url.host, url.port or 5432, url.username or "",
                                  url.password or "")
    return PostgresApplicationRecorder(datastore)


async def measure_case(servers: Servers, database: str, per_tx: int) -> list[Appender]:
    """Chorus with outbox, chorus without, eventsourcing: warmed up, then in rounds."""
    appenders = [
        await chorus_appender(servers, database, outbox=True),
        await chorus_appender(servers, database, outbox=False),
        eventsourcing_appender(servers, database),
    ]
    try:
        for appender in appenders:
            await appender.run(per_tx, WARMUP_EVENTS[per_tx])
            appender.seconds, appender.events = 0.0, 0
        for _ in range(ROUNDS):
            for appender in appenders:
                await appender.run(per_tx, EVENTS_PER_ROUND[per_tx])
    finally:
        for appender in appenders:
            await appender.close()
    return appenders


def figures_for(database: str, per_tx: int, appenders: list[Appender]) -> list[Figure]:
    *chorus, eventsourcing = appenders
    baseline = Baseline(eventsourcing.name, eventsourcing.rate)
    label = "SQLite" if database == "sqlite" else "PostgreSQL"
    return [
        higher_is_better(f"append {label}, {per_tx}/tx, {ours.name}", ours.rate,
                         "events/s", baseline, at_least=1.0)
        for ours in chorus
    ]


async def run(servers: Servers, progress: Callable[[str], None]) -> list[Figure]:
    figures: list[Figure] = []
    for database in DATABASES:
        for per_tx in EVENTS_PER_ROUND:
            progress(f"append: {database}, {per_tx} event(s) per transaction")
            appenders = await measure_case(servers, database, per_tx)
            figures += figures_for(database, per_tx, appenders)
    return figures
