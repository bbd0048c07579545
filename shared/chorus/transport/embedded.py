"""The embedded bus: a durable log in one SQLite file, for running Chorus on one machine.

Publishing commits the messages to the log (that commit is the acknowledgement);
each consumer group keeps its offset per topic and moves it only after its handler
returned, so an event committed before a crash is delivered after the restart.
No broker process is needed.
"""

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    RowMapping,
    String,
    Table,
    and_,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from chorus.store.database import Database
from chorus.store.types import UtcDateTime
from chorus.transport.base import (
    IncomingMessage,
    OutgoingMessage,
    Subscription,
    SubscriptionClosed,
)
from chorus.waiting import cancel_and_wait, wait_for_wake

log = logging.getLogger(__name__)

bus_metadata = MetaData()
bus_log = Table(
    "bus_log", bus_metadata,
    Column("offset", Integer, primary_key=True, autoincrement=True),
    Column("topic", String(200), nullable=False, index=True),
    Column("key", LargeBinary, nullable=True),
    Column("headers", JSON, nullable=False),
    Column("value", LargeBinary, nullable=False),
    Column("appended_at", UtcDateTime(), nullable=False),
)
bus_offsets = Table(
    "bus_offsets", bus_metadata,
    Column("group", String(200), nullable=False),
    Column("topic", String(200), nullable=False),
    Column("offset", Integer, nullable=False),
    PrimaryKeyConstraint("group", "topic"),
)


class EmbeddedBus:
    """A Bus over one SQLite file shared by every service in the process."""

    def __init__(self, url: str, *, poll_interval: float = 1.0, retry_delay: float = 0.5):
        self.db = Database(url)
        self._poll_interval = poll_interval
        self._retry_delay = retry_delay
        self._subscriptions: list[Subscription] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._wakes: dict[str, asyncio.Event] = {}
        self._started = False

    async def start(self) -> None:
        async with self.db.engine.begin() as conn:
            await conn.run_sync(bus_metadata.create_all)
        self._started = True
        for subscription in self._subscriptions:
            self._start_consuming(subscription)

    def _start_consuming(self, subscription: Subscription) -> None:
        task = asyncio.create_task(self._consume(subscription), name=f"bus:{subscription.group}")
        self._tasks.append(task)

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)
        await self.db.dispose()

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        """Topics need no creation in the embedded log."""

    async def ping(self) -> None:
        await self.db.ping()

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        now = datetime.now(UTC)
        rows = [{"topic": m.topic, "key": m.key, "value": m.value, "appended_at": now,
                 "headers": [[k, v.decode()] for k, v in m.headers]} for m in messages]
        async with self.db.transaction() as tx:
            await tx.conn.execute(insert(bus_log), rows)
        for wake in self._wakes.values():
            wake.set()

    def subscribe(self, subscription: Subscription) -> None:
        self._subscriptions.append(subscription)
        self._wakes[subscription.group] = asyncio.Event()
        if self._started:  # services joining a bus that is already running
            self._start_consuming(subscription)

    async def lag(self, group: str, topics: Sequence[str]) -> int:
        async with self.db.connect() as conn:
            offsets = {t: await _offset(conn, group, t) for t in topics}
            query = select(func.count()).where(_after(offsets))
            return int((await conn.execute(query)).scalar_one())

    async def _consume(self, subscription: Subscription) -> None:
        wake = self._wakes[subscription.group]
        while True:
            wake.clear()
            try:
                delivered = await self._deliver_batch(subscription)
            except SubscriptionClosed:
                return
            except Exception:
                log.exception("embedded consumer %s failed; retrying", subscription.group)
                await asyncio.sleep(self._retry_delay)
                continue
            if delivered < subscription.max_batch:
                await wait_for_wake(wake, self._poll_interval)

    async def _deliver_batch(self, subscription: Subscription) -> int:
        batch = await self._read(subscription)
        if batch:
            await subscription.handle(batch)
            await self._commit(subscription.group, batch)
        return len(batch)

    async def _read(self, subscription: Subscription) -> list[IncomingMessage]:
        async with self.db.connect() as conn:
            offsets = {t: await _offset(conn, subscription.group, t) for t in subscription.topics}
            query = (select(bus_log).where(_after(offsets))
                     .order_by(bus_log.c.offset).limit(subscription.max_batch))
            return [_incoming(row) for row in (await conn.execute(query)).mappings()]

    async def _commit(self, group: str, batch: Sequence[IncomingMessage]) -> None:
        last: dict[str, int] = {}
        for message in batch:
            last[message.topic] = max(last.get(message.topic, 0), message.offset)
        async with self.db.transaction() as tx:
            for topic, offset in last.items():
                await tx.conn.execute(sqlite_insert(bus_offsets).values(
                    group=group, topic=topic, offset=offset).on_conflict_do_update(
                    index_elements=["group", "topic"], set_={"offset": offset}))


def _after(offsets: dict[str, int]) -> ColumnElement[bool]:
    """Messages past each topic's committed offset."""
    return or_(*(and_(bus_log.c.topic == t, bus_log.c.offset > o) for t, o in offsets.items()))


async def _offset(conn: AsyncConnection, group: str, topic: str) -> int:
    query = select(bus_offsets.c.offset).where(
        bus_offsets.c.group == group, bus_offsets.c.topic == topic)
    return int((await conn.execute(query)).scalar_one_or_none() or 0)


def _incoming(row: RowMapping) -> IncomingMessage:
    return IncomingMessage(
        topic=row["topic"], key=row["key"], value=row["value"], offset=row["offset"],
        headers=[(str(k), str(v).encode()) for k, v in row["headers"]],
    )
