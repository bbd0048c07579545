"""The outbox relay: in order, only after acknowledgement, once per row across replicas."""

import asyncio
from collections.abc import Sequence

import pytest

from chorus.envelope import from_kafka
from chorus.relay import OutboxRelay
from chorus.store import Database
from chorus.transport.base import OutgoingMessage
from tests.kernel.support import counted, tally_store


class RecordingBus:
    """Acknowledges after a pause, or refuses while `down`; a fake for the relay's unit."""

    def __init__(self) -> None:
        self.published: list[OutgoingMessage] = []
        self.down = False

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        await asyncio.sleep(0.01)  # an acknowledgement takes time: replicas overlap here
        if self.down:
            raise ConnectionError("broker unavailable")
        self.published.extend(messages)


def sequences(bus: RecordingBus) -> list[tuple[str, int | None]]:
    envelopes = [from_kafka(m.key, m.headers, m.value) for m in bus.published]
    return [(e.subject, e.sequence) for e in envelopes]


async def fill(db: Database, streams: int = 5, per_stream: int = 40) -> None:
    store = tally_store(db)
    for version in range(0, per_stream, 10):
        for s in range(streams):
            async with db.transaction() as tx:
                await store.append(tx, f"t-{s}", "tally", version,
                                   [counted(n) for n in range(version + 1, version + 11)])


async def test_rows_are_published_in_order_and_marked_only_after_acknowledgement(
    database: Database,
) -> None:
    await fill(database)
    bus = RecordingBus()
    relay = OutboxRelay(database, bus, service="tally", batch_size=30)  # type: ignore[arg-type]
    bus.down = True
    assert await _attempt(relay) == "refused"
    assert await relay.pending() == 200
    bus.down = False
    while await relay.publish_batch():
        pass
    assert await relay.pending() == 0
    published = sequences(bus)
    for s in range(5):
        assert [seq for subject, seq in published if subject == f"t-{s}"] == list(range(1, 41))


async def _attempt(relay: OutboxRelay) -> str:
    try:
        await relay.publish_batch()
    except ConnectionError:
        return "refused"
    return "published"


@pytest.mark.postgres
async def test_two_relay_replicas_never_publish_the_same_row_twice(postgres_url: str) -> None:
    databases = [Database(postgres_url) for _ in range(2)]  # as two processes would
    await _migrate(databases[0])
    await fill(databases[0], streams=10, per_stream=50)
    bus = RecordingBus()
    relays = [OutboxRelay(db, bus, service="tally", batch_size=20)  # type: ignore[arg-type]
              for db in databases]

    async def drain(relay: OutboxRelay) -> None:
        while await relay.pending():
            await relay.publish_batch()

    await asyncio.gather(*(drain(r) for r in relays))
    ids = [dict(m.headers)["ce_id"] for m in bus.published]
    assert len(ids) == 500
    assert len(set(ids)) == 500
    for db in databases:
        await db.dispose()


@pytest.mark.postgres
async def test_a_relay_in_another_process_wakes_on_commit_not_on_its_poll(
    postgres_url: str,
) -> None:
    writer, relay_db = Database(postgres_url), Database(postgres_url)
    await _migrate(writer)
    bus = RecordingBus()
    relay = OutboxRelay(relay_db, bus, service="tally", poll_interval=60)  # type: ignore[arg-type]
    running = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.5)  # the relay has drained nothing and now sleeps on LISTEN
        async with writer.transaction() as tx:
            await tally_store(writer).append(tx, "t-1", "tally", 0, [counted(1)])
        async with asyncio.timeout(5):  # far less than the 60 s poll
            while not bus.published:
                await asyncio.sleep(0.01)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await writer.dispose()
        await relay_db.dispose()


async def _migrate(db: Database) -> None:
    from chorus.migrations import upgrade

    await upgrade(db, [])
