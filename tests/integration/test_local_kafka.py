"""The local Kafka broker (chorus.devservers.kafka) works with the clients we use."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from chorus.devservers.kafka import LocalKafka
from tests.fixtures.kafka import KafkaBroker

pytestmark = pytest.mark.kafka


async def create_topic(bootstrap_servers: str) -> str:
    """Create a fresh one-partition topic (auto-creation is off) and return its name."""
    topic = f"chorus.test.{uuid.uuid4().hex}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    return topic


async def produce(bootstrap_servers: str, topic: str, value: bytes) -> None:
    """Send one message and wait for the broker's acknowledgement."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        await producer.send_and_wait(topic, value)
    finally:
        await producer.stop()


async def first_message(bootstrap_servers: str, topic: str) -> bytes | None:
    """The value of the topic's first message (no consumer group: nothing is committed)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap_servers, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        message = await asyncio.wait_for(consumer.getone(), timeout=30)
    finally:
        await consumer.stop()
    value: bytes | None = message.value
    return value


async def test_a_produced_message_can_be_consumed(kafka_broker: KafkaBroker) -> None:
    topic = await create_topic(kafka_broker.bootstrap_servers)

    await produce(kafka_broker.bootstrap_servers, topic, b"hello chorus")

    assert await first_message(kafka_broker.bootstrap_servers, topic) == b"hello chorus"


async def test_an_acknowledged_message_survives_a_crash(tmp_path: Path) -> None:
    # A broker of its own: killing the session's broker would disturb other tests.
    # Threads, because starting and restarting block for seconds.
    broker = await asyncio.to_thread(LocalKafka.start, tmp_path)
    with broker:
        topic = await create_topic(broker.bootstrap_servers)
        await produce(broker.bootstrap_servers, topic, b"before the crash")

        broker.kill()
        assert not broker.is_running()
        await asyncio.to_thread(broker.restart)

        assert await first_message(broker.bootstrap_servers, topic) == b"before the crash"
