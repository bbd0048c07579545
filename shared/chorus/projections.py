"""Read models built from a service's own event store, rebuildable by replay.

Each projection records how far it has read (`projection_positions`) in the same
transaction as the rows it wrote, so it applies every event exactly once. The runner
locks that position row for each batch, so a rebuild (reset the tables and the position)
can run while the service runs: the runner simply starts again from the beginning.
"""

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from sqlalchemy import Table, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from chorus.store.database import Transaction
from chorus.store.eventstore import EVENTS_CHANNEL, EventStore, RecordedEvent
from chorus.store.schema import projection_positions
from chorus.waiting import work_in_batches


class Projection(Protocol):
    """A read model: a name, the tables it owns, and how it applies one stored event."""

    @property
    def name(self) -> str: ...

    @property
    def tables(self) -> Sequence[Table]: ...

    async def apply(self, tx: Transaction, event: RecordedEvent) -> None: ...


@runtime_checkable
class BatchProjection(Projection, Protocol):
    """A read model that applies a whole batch at once (in store order), so that it can
    write each table with one statement per batch instead of one per event. The runner
    prefers `apply_batch` when a projection has it; the result must be the same as
    applying the events one by one."""

    async def apply_batch(self, tx: Transaction, events: Sequence[RecordedEvent]) -> None: ...


class ProjectionRunner:
    """Keeps one projection up to date with the store, in batches."""

    def __init__(
        self,
        store: EventStore,
        projection: Projection,
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
    ) -> None:
        self.store = store
        self.db = store.db
        self.projection = projection
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.wake = asyncio.Event()

    async def run(self) -> None:
        """Keep the read model up to date until cancelled."""
        async with self.db.listen(EVENTS_CHANNEL, self.wake):
            await work_in_batches(self.catch_up_batch, wake=self.wake,
                                  batch_size=self.batch_size, poll_interval=self.poll_interval,
                                  name=f"projection {self.projection.name}")

    async def catch_up_batch(self) -> int:
        """Apply the next batch of events; return how many were applied."""
        async with self.db.transaction() as tx:
            position = await self._lock_position(tx)
            batch = await self.store.read_all(tx, position, self.batch_size)
            if isinstance(self.projection, BatchProjection):
                await self.projection.apply_batch(tx, batch)
            else:
                for event in batch:
                    await self.projection.apply(tx, event)
            if batch:
                await _set_position(tx, self.projection.name, batch[-1].position)
        return len(batch)

    async def catch_up(self, progress: Callable[[int], None] = lambda _: None) -> int:
        """Apply events until the projection has read the whole store."""
        total = 0
        while applied := await self.catch_up_batch():
            total += applied
            progress(applied)
        return total

    async def _lock_position(self, tx: Transaction) -> int:
        name = self.projection.name
        insert = pg_insert if self.db.is_postgres else sqlite_insert
        await tx.conn.execute(insert(projection_positions).values(
            name=name, position=0, updated_at=datetime.now(UTC)).on_conflict_do_nothing())
        query = (select(projection_positions.c.position)
                 .where(projection_positions.c.name == name).with_for_update())
        return int((await tx.conn.execute(query)).scalar_one())

    async def reset(self) -> None:
        """Empty the read model and rewind it to the start of the store, in one transaction."""
        async with self.db.transaction() as tx:
            await self._lock_position(tx)
            for table in reversed(self.projection.tables):
                await tx.conn.execute(delete(table))
            await _set_position(tx, self.projection.name, 0)
        self.wake.set()

    async def position(self) -> int:
        async with self.db.connect() as conn:
            query = select(projection_positions.c.position).where(
                projection_positions.c.name == self.projection.name)
            return int((await conn.execute(query)).scalar_one_or_none() or 0)


async def _set_position(tx: Transaction, name: str, position: int) -> None:
    await tx.conn.execute(update(projection_positions)
                          .where(projection_positions.c.name == name)
                          .values(position=position, updated_at=datetime.now(UTC)))
