"""The Kafka bus: aiokafka's idempotent producer for the relay, FastStream for consumers.

The relay appends a batch to the producer in order and then awaits every acknowledgement
(`acks=all`), so a batch keeps its order per key and returns only once the broker has it.
Consumers are FastStream batch subscribers with an explicit ack policy: offsets are
committed after the handler returned, and a handler that raises gets the batch again.
kafka-python does the administration (topics, lag). Every client connects with the bus's
`KafkaSecurity` (plaintext, or mutual TLS).
"""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaProducer, ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from chorus.transport.base import IncomingMessage, OutgoingMessage, Subscription
from chorus.transport.kafka_security import KafkaSecurity

log = logging.getLogger(__name__)


class KafkaBus:
    """A Bus on a real Kafka cluster."""

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str,
        partitions: int = 6,
        replication_factor: int = 1,
        topic_config: dict[str, str] | None = None,
        security: KafkaSecurity | None = None,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.client_id = client_id
        self.partitions = partitions
        self.replication_factor = replication_factor
        self.topic_config = topic_config or {}
        self.security = security or KafkaSecurity()
        self.broker = KafkaBroker(bootstrap_servers, client_id=client_id, logger=log,
                                  security=self.security.faststream_security())
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = await self._start_producer()
        await self.broker.start()

    async def stop(self) -> None:
        await self.broker.stop()
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def _start_producer(self) -> AIOKafkaProducer:
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap_servers, client_id=self.client_id,
            acks="all", enable_idempotence=True, linger_ms=2,
            max_batch_size=1024 * 1024, request_timeout_ms=15000,
            **self.security.client_options(),
        )
        await producer.start()
        return producer

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        if self._producer is None:
            self._producer = await self._start_producer()
        producer = self._producer
        try:
            pending = [await producer.send(m.topic, m.value, key=m.key, headers=m.headers)
                       for m in messages]
            await asyncio.gather(*pending)
        except Exception:
            # A producer that lost the broker may hold stale sequence numbers; start afresh.
            self._producer = None
            await producer.stop()
            raise

    def subscribe(self, subscription: Subscription) -> None:
        async def on_batch(message: KafkaMessage) -> None:
            records = message.raw_message
            batch = records if isinstance(records, tuple) else (records,)
            await subscription.handle([_incoming(r) for r in batch])

        self.broker.subscriber(
            *subscription.topics, group_id=subscription.group, batch=True,
            max_records=subscription.max_batch, auto_offset_reset="earliest",
            batch_timeout_ms=10,  # FastStream's 200 ms default delays every sparse event
            ack_policy=AckPolicy.NACK_ON_ERROR, decoder=_raw,
        )(on_batch)

    async def ensure_topics(self, topics: Sequence[str]) -> None:
        await asyncio.to_thread(self._create_topics, list(topics))

    def _create_topics(self, topics: list[str]) -> None:
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap_servers,
                                 client_id=f"{self.client_id}-admin",
                                 **self.security.client_options())
        try:
            # Only the missing ones: where topics are managed outside (Strimzi's KafkaTopics),
            # the service's user may describe its topics but not create them.
            existing = set(admin.list_topics())
            for topic in (t for t in topics if t not in existing):
                with contextlib.suppress(TopicAlreadyExistsError):
                    admin.create_topics([NewTopic(topic, self.partitions,
                                                  self.replication_factor, self.topic_config)])
        finally:
            admin.close()

    async def ping(self) -> None:
        if self._producer is None:
            raise ConnectionError("the Kafka producer is not connected")
        await asyncio.wait_for(self._producer.client.fetch_all_metadata(), 5)

    async def lag(self, group: str, topics: Sequence[str]) -> int:
        return await asyncio.to_thread(self._lag, group, list(topics))

    def _lag(self, group: str, topics: list[str]) -> int:
        options = self.security.client_options()
        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap_servers, **options)
        consumer = KafkaConsumer(bootstrap_servers=self.bootstrap_servers, **options)
        try:
            committed = admin.list_group_offsets(group).get(group, {})
            partitions = [TopicPartition(t, p) for t in topics
                          for p in consumer.partitions_for_topic(t) or ()]
            ends = consumer.end_offsets(partitions)
            return sum(end - (committed[tp].offset if tp in committed else 0)
                       for tp, end in ends.items())
        finally:
            consumer.close()
            admin.close()


async def _raw(message: Any) -> Any:
    # Hand the handler the records untouched: a malformed value must reach our own
    # poison handling (and the DLQ), not fail in FastStream's JSON decoder.
    return message.body


def _incoming(record: "ConsumerRecord[bytes, bytes]") -> IncomingMessage:
    return IncomingMessage(
        topic=record.topic, key=record.key, value=record.value or b"",
        headers=list(record.headers), partition=record.partition, offset=record.offset,
    )
