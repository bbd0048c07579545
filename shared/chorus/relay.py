"""The outbox relay: publishes committed public events to the bus, in order, at least once.

It wakes when an append commits (an in-process signal, and LISTEN/NOTIFY on PostgreSQL for
appends made by other processes) and polls only as a fallback. Rows are marked published
only after the bus acknowledged them; a broker outage only delays. On PostgreSQL a
transaction-level advisory lock lets one relay instance of a service publish at a time,
so replicas never publish the same row twice in normal operation.
"""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from chorus.store.database import Database, Transaction
from chorus.store.eventstore import EVENTS_CHANNEL
from chorus.store.schema import outbox
from chorus.telemetry import EVENTS_PUBLISHED, OUTBOX_LAG, context_from, tracer
from chorus.transport.base import Bus, OutgoingMessage
from chorus.waiting import work_in_batches

RELAY_LOCK_KEY = 7_305_412_001  # any constant shared by every relay of one database


class OutboxRelay:
    """Moves the outbox to the bus; run one per service process."""

    def __init__(
        self,
        db: Database,
        bus: Bus,
        *,
        service: str,
        batch_size: int = 500,
        poll_interval: float = 1.0,
    ) -> None:
        self.db = db
        self.bus = bus
        self.service = service
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.wake = asyncio.Event()

    async def run(self) -> None:
        """Publish until cancelled."""
        async with self.db.listen(EVENTS_CHANNEL, self.wake):
            await work_in_batches(self.publish_batch, wake=self.wake, batch_size=self.batch_size,
                                  poll_interval=self.poll_interval, name=f"{self.service} relay")

    async def publish_batch(self) -> int:
        """Publish the next batch of pending rows; return how many were published."""
        if self.db.is_postgres:
            async with self.db.transaction() as tx:  # the replicas' lock lasts until marked
                if not await self._take_turn(tx):
                    return 0
                rows = await _pending(tx.conn, self.batch_size)
                await self._send(rows)
                await _mark_published(tx.conn, rows)
        else:
            # SQLite has one relay per file: no turn to take, and the write lock is taken
            # only to mark rows, never held while waiting for the bus.
            async with self.db.connect() as conn:
                rows = await _pending(conn, self.batch_size)
            await self._send(rows)
            async with self.db.transaction() as tx:
                await _mark_published(tx.conn, rows)
        EVENTS_PUBLISHED.labels(self.service).inc(len(rows))
        return len(rows)

    async def _take_turn(self, tx: Transaction) -> bool:
        result = await tx.conn.execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": RELAY_LOCK_KEY})
        return bool(result.scalar_one())

    async def _send(self, rows: Sequence[Any]) -> None:
        if not rows:
            return
        first = rows[0]["headers"]
        with tracer.start_as_current_span(
            f"publish {rows[0]['topic']}", context=context_from({
                "traceparent": first.get("ce_traceparent"),
                "tracestate": first.get("ce_tracestate")}),
            kind=trace.SpanKind.PRODUCER, attributes={"messaging.batch.message_count": len(rows)},
        ):
            await self.bus.publish([_message(row) for row in rows])

    async def pending(self) -> int:
        async with self.db.connect() as conn:
            query = select(func.count()).where(outbox.c.published_at.is_(None))
            count = int((await conn.execute(query)).scalar_one())
        OUTBOX_LAG.labels(self.service).set(count)
        return count


async def _pending(conn: AsyncConnection, limit: int) -> Sequence[Any]:
    query = (select(outbox).where(outbox.c.published_at.is_(None))
             .order_by(outbox.c.id).limit(limit))
    return (await conn.execute(query)).mappings().all()


async def _mark_published(conn: AsyncConnection, rows: Sequence[Any]) -> None:
    if rows:
        await conn.execute(update(outbox).where(outbox.c.id.in_([r["id"] for r in rows]))
                           .values(published_at=datetime.now(UTC)))


def _message(row: Any) -> OutgoingMessage:
    return OutgoingMessage(
        topic=row["topic"], key=row["key"].encode(), value=row["value"],
        headers=[(k, v.encode()) for k, v in row["headers"].items()],
    )
