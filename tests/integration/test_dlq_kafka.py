"""On the real broker: a poison event and a non-CloudEvent go to the DLQ; the rest apply."""

import asyncio
from collections.abc import Sequence

import pytest

from chorus.envelope import Envelope, to_kafka
from chorus.inbox import InboxConsumer
from chorus.migrations import upgrade
from chorus.store import Database
from chorus.transport.base import IncomingMessage, OutgoingMessage, Subscription
from chorus.transport.kafka import KafkaBus
from tests.fixtures.kafka import KafkaBroker
from tests.integration.kafka_support import effect_count, unique, until
from tests.kernel.support import create_effect_table, record_effect

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def counted(n: int, *, poison: bool = False) -> OutgoingMessage:
    record = to_kafka(Envelope(type="chorus.tally.Counted.v1", source="/chorus/tally",
                               subject="t-1", data={"n": n, "poison": poison}, sequence=n))
    return OutgoingMessage("", record.key, record.headers, record.value)


async def test_poison_goes_to_the_dlq_with_its_error_and_the_consumer_goes_on(
    kafka_broker: KafkaBroker, postgres_url: str,
) -> None:
    db = Database(postgres_url)
    await upgrade(db, [])
    await create_effect_table(db)
    topic, consumer = unique("chorus.tally.events"), unique("tally-reader")
    dlq = f"chorus.{consumer}.dlq"
    bus = KafkaBus(kafka_broker.bootstrap_servers, client_id="dlq-test", partitions=1)
    await bus.ensure_topics([topic, dlq])
    dead: list[IncomingMessage] = []

    async def watch(batch: Sequence[IncomingMessage]) -> None:
        dead.extend(batch)

    reader = InboxConsumer(consumer, db, bus, record_effect, dlq_topic=dlq, backoff=0.01)
    bus.subscribe(Subscription(f"chorus.{consumer}", [topic], reader.process_batch))
    bus.subscribe(Subscription(unique("dlq-watcher"), [dlq], watch))
    await bus.start()
    try:
        sent = [counted(1), counted(2, poison=True),
                OutgoingMessage("", b"t-1", [], b"\x00not json"), counted(3)]
        await bus.publish([OutgoingMessage(topic, m.key, m.headers, m.value) for m in sent])

        async def settled() -> bool:
            return len(dead) == 2 and (await effect_count(db))[0] == 2

        await until(settled, 60, "two dead letters and two effects")
        await asyncio.sleep(1)
        assert await effect_count(db) == (2, 2)
        errors = sorted(dict(m.headers)["chorus_dlq_error"].decode() for m in dead)
        assert errors[0].startswith("MalformedEnvelope")
        assert errors[1].startswith("ValueError: cannot count")
        assert {m.value for m in dead} == {sent[1].value, sent[2].value}

        async def caught_up() -> bool:
            return await bus.lag(f"chorus.{consumer}", [topic]) == 0

        await until(caught_up, 30, "the consumer's offset committed past every message")
    finally:
        await bus.stop()
        await db.dispose()
