"""Consumers: one effect per event, bounded retries, and a dead-letter queue for poison."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import select

from chorus.envelope import Envelope, to_kafka
from chorus.inbox import InboxConsumer
from chorus.store import Database
from chorus.transport.base import IncomingMessage, OutgoingMessage, Subscription
from chorus.transport.embedded import EmbeddedBus
from tests.kernel.support import applied, create_effect_table, record_effect


def message(n: int, *, subject: str = "t-1", poison: bool = False, event_id: str | None = None,
            offset: int = 0) -> IncomingMessage:
    envelope = Envelope(type="chorus.tally.Counted.v1", source="/chorus/tally", subject=subject,
                        data={"n": n, "poison": poison}, sequence=n,
                        **({"id": event_id} if event_id else {}))
    record = to_kafka(envelope)
    return IncomingMessage(topic="chorus.tally.events", key=record.key, headers=record.headers,
                           value=record.value, offset=offset)


class RecordingBus:
    """Collects what the consumer publishes (its dead letters); a fake for this unit."""

    def __init__(self) -> None:
        self.published: list[OutgoingMessage] = []

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        self.published.extend(messages)


@pytest.fixture
async def effects(database: Database) -> AsyncIterator[Database]:
    await create_effect_table(database)
    yield database


def consumer(db: Database, bus: object) -> InboxConsumer:
    return InboxConsumer("tally-reader", db, bus, record_effect,  # type: ignore[arg-type]
                         dlq_topic="chorus.tally-reader.dlq", attempts=3, backoff=0.001)


async def effect_rows(db: Database) -> list[tuple[str, int]]:
    async with db.connect() as conn:
        rows = await conn.execute(select(applied.c.subject, applied.c.sequence)
                                  .order_by(applied.c.row))
        return [(r.subject, r.sequence) for r in rows]


async def test_the_same_event_delivered_twice_has_one_effect(effects: Database) -> None:
    reader = consumer(effects, RecordingBus())
    first = message(1, event_id="e-1")
    await reader.process_batch([first])
    await reader.process_batch([first, message(2, event_id="e-2")])
    await reader.process_batch([message(2, event_id="e-2")])
    third = message(3, event_id="e-3")
    await reader.process_batch([third, message(4, event_id="e-4"), third, first])
    assert await effect_rows(effects) == [("t-1", 1), ("t-1", 2), ("t-1", 3), ("t-1", 4)]


async def test_a_poison_event_goes_to_the_dlq_with_its_error_and_the_rest_are_applied(
    effects: Database,
) -> None:
    bus = RecordingBus()
    reader = consumer(effects, bus)
    await reader.process_batch([message(1), message(2, poison=True, offset=7), message(3)])
    assert await effect_rows(effects) == [("t-1", 1), ("t-1", 3)]
    [dead] = bus.published
    headers = dict(dead.headers)
    assert dead.topic == "chorus.tally-reader.dlq"
    assert headers["chorus_dlq_error"].startswith(b"ValueError: cannot count")
    assert headers["chorus_dlq_offset"] == b"7"
    assert headers["ce_type"] == b"chorus.tally.Counted.v1"


async def test_a_message_that_is_not_a_cloudevent_is_dead_lettered(effects: Database) -> None:
    bus = RecordingBus()
    reader = consumer(effects, bus)
    garbage = IncomingMessage(topic="chorus.tally.events", key=b"k", headers=[], value=b"{")
    await reader.process_batch([garbage, message(1)])
    assert await effect_rows(effects) == [("t-1", 1)]
    assert b"not a CloudEvent" in dict(bus.published[0].headers)["chorus_dlq_error"]


async def test_the_embedded_bus_delivers_once_and_dead_letters_poison(
    effects: Database, tmp_path: Path,
) -> None:
    bus = EmbeddedBus(f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}", poll_interval=0.05)
    reader = consumer(effects, bus)
    dead: list[IncomingMessage] = []

    async def collect(batch: Sequence[IncomingMessage]) -> None:
        dead.extend(batch)

    bus.subscribe(Subscription("chorus.tally-reader", ["chorus.tally.events"],
                               reader.process_batch))
    bus.subscribe(Subscription("dlq-watcher", ["chorus.tally-reader.dlq"], collect))
    await bus.start()
    try:
        sent = [message(1, event_id="e-1"), message(2, poison=True), message(3),
                message(1, event_id="e-1")]
        await bus.publish([OutgoingMessage(m.topic, m.key or b"", m.headers, m.value)
                           for m in sent])
        await _until(lambda: len(dead) == 1 and effects is not None)
        assert await _eventually(effects, [("t-1", 1), ("t-1", 3)])
        # The offset is committed after the batch returns, a moment after its effects.
        async with asyncio.timeout(10):
            while await bus.lag("chorus.tally-reader", ["chorus.tally.events"]) != 0:
                await asyncio.sleep(0.02)
    finally:
        await bus.stop()


async def _until(condition: object, seconds: float = 10) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.02)


async def _eventually(db: Database, expected: list[tuple[str, int]]) -> bool:
    async with asyncio.timeout(10):
        while await effect_rows(db) != expected:
            await asyncio.sleep(0.02)
    return True
