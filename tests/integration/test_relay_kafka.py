"""The outbox relay on a real broker: a broker outage only delays, nothing is lost."""

import asyncio

import pytest

from chorus.inbox import InboxConsumer
from chorus.migrations import upgrade
from chorus.relay import OutboxRelay
from chorus.store import Database
from chorus.transport.base import Subscription
from chorus.transport.kafka import KafkaBus
from tests.fixtures.kafka import KafkaBroker
from tests.integration.kafka_support import effect_count, sequences_in_order, unique, until
from tests.kernel.support import counted, create_effect_table, record_effect, tally_store

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

AGGREGATES = 100
PER_AGGREGATE = 100  # 10,000 events in all
PER_TRANSACTION = 10


async def test_ten_thousand_events_survive_a_broker_restart_in_order_and_once(
    kafka_broker: KafkaBroker, postgres_url: str,
) -> None:
    db = Database(postgres_url)
    await upgrade(db, [])
    await create_effect_table(db)
    topic = unique("chorus.tally.events")
    relay_bus = KafkaBus(kafka_broker.bootstrap_servers, client_id="relay", partitions=6)
    consumer_bus = KafkaBus(kafka_broker.bootstrap_servers, client_id="reader")
    await relay_bus.ensure_topics([topic, "chorus.tally-reader.dlq"])
    reader = InboxConsumer("tally-reader", db, consumer_bus, record_effect,
                           dlq_topic="chorus.tally-reader.dlq")
    consumer_bus.subscribe(Subscription(unique("chorus.tally-reader"), [topic],
                                        reader.process_batch))
    relay = OutboxRelay(db, relay_bus, service="tally", poll_interval=0.2)
    store = tally_store(db, on_commit=relay.wake.set, topic=topic)
    await relay_bus.start()
    await consumer_bus.start()
    relaying = asyncio.create_task(relay.run())
    try:
        await append_all(db, store, stop_at=AGGREGATES // 2, broker=kafka_broker)

        async def all_applied() -> bool:
            return (await effect_count(db))[0] >= AGGREGATES * PER_AGGREGATE

        await until(all_applied, 240, "all 10,000 events to reach the consumer")
        await asyncio.sleep(1)  # let any redelivery arrive before counting
        assert await effect_count(db) == (10_000, 10_000)
        assert await sequences_in_order(db)
        assert await relay.pending() == 0
    finally:
        relaying.cancel()
        await asyncio.gather(relaying, return_exceptions=True)
        await consumer_bus.stop()
        await relay_bus.stop()
        await db.dispose()


async def append_all(db: Database, store: object, *, stop_at: int, broker: KafkaBroker) -> None:
    """Append every aggregate's events, killing the broker halfway and restarting it."""
    for version in range(0, PER_AGGREGATE, PER_TRANSACTION):
        if version == PER_AGGREGATE // 2:
            broker.kill()
        async with db.transaction() as tx:
            for aggregate in range(AGGREGATES):
                await store.append(tx, f"t-{aggregate}", "tally", version,  # type: ignore[attr-defined]
                                   [counted(n) for n in range(version + 1,
                                                              version + PER_TRANSACTION + 1)])
        await asyncio.sleep(0)
    await asyncio.to_thread(broker.restart)
