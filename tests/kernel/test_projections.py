"""Read models: exactly once from the store, rebuildable by replay while they run."""

import asyncio

from sqlalchemy import Column, Integer, MetaData, String, Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from chorus.projections import ProjectionRunner
from chorus.store import Database, RecordedEvent
from chorus.store.database import Transaction
from tests.kernel.support import counted, tally_store

metadata = MetaData()
totals = Table("totals", metadata,
               Column("stream_id", String(200), primary_key=True),
               Column("total", Integer, nullable=False),
               Column("events", Integer, nullable=False))


class Totals:
    """Sums each tally; a double or missed event shows as a wrong total."""

    name = "totals"
    tables = (totals,)

    def __init__(self, postgres: bool) -> None:
        self.insert = pg_insert if postgres else sqlite_insert

    async def apply(self, tx: Transaction, event: RecordedEvent) -> None:
        n = int(event.data["n"])
        await tx.conn.execute(self.insert(totals).values(
            stream_id=event.stream_id, total=0, events=0).on_conflict_do_nothing())
        await tx.conn.execute(update(totals).where(totals.c.stream_id == event.stream_id)
                              .values(total=totals.c.total + n, events=totals.c.events + 1))


async def read_totals(db: Database) -> dict[str, tuple[int, int]]:
    async with db.connect() as conn:
        rows = await conn.execute(select(totals))
        return {r.stream_id: (r.total, r.events) for r in rows}


async def fill(db: Database, streams: int, per_stream: int) -> None:
    store = tally_store(db)
    for s in range(streams):
        async with db.transaction() as tx:
            await store.append(tx, f"t-{s}", "tally", 0,
                               [counted(n) for n in range(1, per_stream + 1)])


async def test_rebuilding_gives_the_same_read_model(database: Database) -> None:
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await fill(database, streams=20, per_stream=30)
    runner = ProjectionRunner(tally_store(database), Totals(database.is_postgres), batch_size=64)
    assert await runner.catch_up() == 600
    before = await read_totals(database)
    assert before == {f"t-{s}": (465, 30) for s in range(20)}

    await runner.reset()
    assert await read_totals(database) == {}
    assert await runner.catch_up() == 600
    assert await read_totals(database) == before


async def test_a_rebuild_while_the_projection_runs_ends_with_every_event_once(
    database: Database,
) -> None:
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await fill(database, streams=10, per_stream=50)
    store = tally_store(database)
    runner = ProjectionRunner(store, Totals(database.is_postgres), batch_size=25,
                              poll_interval=0.02)
    running = asyncio.create_task(runner.run())
    try:
        await asyncio.sleep(0.05)
        rebuild = ProjectionRunner(store, Totals(database.is_postgres), batch_size=25)
        await rebuild.reset()  # as `chorus projections rebuild` does from another process
        await rebuild.catch_up()
        async with asyncio.timeout(20):
            while await runner.position() < 500:
                await asyncio.sleep(0.02)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert await read_totals(database) == {f"t-{s}": (1275, 50) for s in range(10)}
