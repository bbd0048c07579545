"""A consumer killed with SIGKILL mid-batch and restarted applies every event exactly once."""

import asyncio
import os
import signal
import subprocess
import sys

import pytest
from aiokafka import AIOKafkaProducer

from chorus.envelope import Envelope, to_kafka
from chorus.migrations import upgrade
from chorus.store import Database
from chorus.transport.kafka import KafkaBus
from tests.fixtures.kafka import KafkaBroker
from tests.integration.kafka_support import effect_count, sequences_in_order, unique, until
from tests.kernel.support import create_effect_table

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

EVENTS = 3000


async def publish_events(bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                enable_idempotence=True)
    await producer.start()
    try:
        for n in range(EVENTS):
            subject = f"t-{n % 30}"
            record = to_kafka(Envelope(type="chorus.tally.Counted.v1", source="/chorus/tally",
                                       subject=subject, data={"n": n}, sequence=n // 30 + 1))
            await producer.send(topic, record.value, key=record.key, headers=record.headers)
        await producer.flush()
    finally:
        await producer.stop()


def start_consumer(bootstrap: str, url: str, topic: str, group: str,
                   die_after_batches: int = 0) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "tests.integration.consumer_child",
                             bootstrap, url, topic, group],
                            env={**os.environ, "DIE_AFTER_BATCHES": str(die_after_batches)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def test_a_consumer_killed_mid_batch_applies_every_event_once(
    kafka_broker: KafkaBroker, postgres_url: str,
) -> None:
    db = Database(postgres_url)
    await upgrade(db, [])
    await create_effect_table(db)
    topic, group = unique("chorus.tally.events"), unique("chorus.tally-reader")
    admin = KafkaBus(kafka_broker.bootstrap_servers, client_id="admin", partitions=3)
    await admin.ensure_topics([topic, "chorus.tally-reader.dlq"])
    await publish_events(kafka_broker.bootstrap_servers, topic)
    bootstrap = kafka_broker.bootstrap_servers
    first = start_consumer(bootstrap, postgres_url, topic, group, die_after_batches=2)
    assert first.wait(120) == -signal.SIGKILL  # died between its commit and the offsets'
    child = start_consumer(bootstrap, postgres_url, topic, group)
    try:
        async def some_applied() -> bool:
            return (await effect_count(db))[0] >= EVENTS // 4

        await until(some_applied, 120, "the consumer to apply a quarter of the events")
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        killed_at = (await effect_count(db))[0]
        assert killed_at < EVENTS, "the kill came too late to test anything"
        child = start_consumer(bootstrap, postgres_url, topic, group)

        async def all_applied() -> bool:
            return (await effect_count(db))[0] >= EVENTS

        await until(all_applied, 180, "the restarted consumer to catch up")
        await asyncio.sleep(2)  # a duplicate applied late would show up now
        assert await effect_count(db) == (EVENTS, EVENTS)
        assert await sequences_in_order(db)
    finally:
        child.kill()
        child.wait(10)
        await db.dispose()
