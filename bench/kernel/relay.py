"""Figure 2: outbox relay throughput to Kafka beside a raw aiokafka producer.

The outbox (PostgreSQL) is filled by ordinary appends, then `OutboxRelay.publish_batch()`
is called until it finds nothing left. The baseline sends the very same messages (keys,
headers, values, read from the outbox beforehand) with a bare
`AIOKafkaProducer(acks="all", enable_idempotence=True)` to a topic of its own, the same
way: send a batch of 500, then await its acknowledgements. The two take turns in rounds;
filling the outbox and reading the messages are not timed.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from sqlalchemy import select

from bench.kernel.servers import Servers
from bench.kernel.workload import SERVICE, append_new_stream, new_events, open_store
from bench.report import Baseline, Figure, higher_is_better
from chorus.relay import OutboxRelay
from chorus.store import EventStore
from chorus.store.schema import outbox
from chorus.transport.base import OutgoingMessage
from chorus.transport.kafka import KafkaBus

BATCH = 500  # the relay's default batch size
ROUNDS = 2
EVENTS_PER_ROUND = 10_000
WARMUP_EVENTS = 1_000
STREAM_LENGTH = 10  # events per stream, i.e. per Kafka key
RELAY_TOPIC = "bench.relay.chorus"
RAW_TOPIC = "bench.relay.raw"


@dataclass
class Tally:
    """Messages sent and seconds spent by one side."""

    messages: int = 0
    seconds: float = 0.0

    def add(self, messages: int, seconds: float) -> None:
        self.messages += messages
        self.seconds += seconds

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


async def prefill(store: EventStore, events: int) -> list[OutgoingMessage]:
    """Append `events` events (with outbox rows) in transactions of BATCH events each;
    return the new outbox rows as the raw producer will send them."""
    for _ in range(events // BATCH):
        async with store.db.transaction() as tx:
            for _ in range(BATCH // STREAM_LENGTH):
                await append_new_stream(store, tx, new_events(STREAM_LENGTH))
    return await pending_messages(store)


async def pending_messages(store: EventStore) -> list[OutgoingMessage]:
    """The outbox rows not yet published, with the baseline's topic."""
    query = select(outbox).where(outbox.c.published_at.is_(None)).order_by(outbox.c.id)
    async with store.db.connect() as conn:
        rows = (await conn.execute(query)).mappings().all()
    return [OutgoingMessage(topic=RAW_TOPIC, key=row["key"].encode(), value=row["value"],
                            headers=[(k, v.encode()) for k, v in row["headers"].items()])
            for row in rows]


async def drain(relay: OutboxRelay) -> int:
    """Publish batches until the outbox is empty; return how many rows were published."""
    published = 0
    while batch := await relay.publish_batch():
        published += batch
    return published


async def send_raw(producer: AIOKafkaProducer, messages: Sequence[OutgoingMessage]) -> int:
    """Send each batch of BATCH messages, then await its acknowledgements."""
    for start in range(0, len(messages), BATCH):
        pending = [await producer.send(m.topic, m.value, key=m.key, headers=m.headers)
                   for m in messages[start:start + BATCH]]
        await asyncio.gather(*pending)
    return len(messages)


async def one_round(
    store: EventStore, relay: OutboxRelay, producer: AIOKafkaProducer, events: int
) -> tuple[tuple[int, float], tuple[int, float]]:
    """Fill the outbox, time the relay draining it, then time the raw producer."""
    messages = await prefill(store, events)
    relayed = await timed(drain(relay))
    sent = await timed(send_raw(producer, messages))
    return relayed, sent


async def timed(step: Awaitable[int]) -> tuple[int, float]:
    """Await `step` (a coroutine not yet started); return its count and the seconds taken."""
    started = time.perf_counter()
    count = await step
    return count, time.perf_counter() - started


async def measure(servers: Servers) -> tuple[Tally, Tally]:
    store = await open_store(servers.postgres_url("relay"), topic=RELAY_TOPIC)
    bus = KafkaBus(servers.bootstrap_servers, client_id="bench-relay")
    await bus.ensure_topics([RELAY_TOPIC, RAW_TOPIC])
    await bus.start()
    producer = AIOKafkaProducer(bootstrap_servers=servers.bootstrap_servers,
                                acks="all", enable_idempotence=True)
    await producer.start()
    relay = OutboxRelay(store.db, bus, service=SERVICE, batch_size=BATCH)
    ours, raw = Tally(), Tally()
    try:
        await one_round(store, relay, producer, WARMUP_EVENTS)
        for _ in range(ROUNDS):
            relayed, sent = await one_round(store, relay, producer, EVENTS_PER_ROUND)
            ours.add(*relayed)
            raw.add(*sent)
    finally:
        await producer.stop()
        await bus.stop()
        await store.db.dispose()
    return ours, raw


async def run(servers: Servers, progress: Callable[[str], None]) -> list[Figure]:
    progress(f"relay: {ROUNDS} x {EVENTS_PER_ROUND:,} outbox rows to Kafka")
    ours, raw = await measure(servers)
    expected = ROUNDS * EVENTS_PER_ROUND
    if ours.messages != expected or raw.messages != expected:
        raise RuntimeError(f"sent {ours.messages} (relay) and {raw.messages} (raw), "
                           f"expected {expected} each")
    baseline = Baseline('raw AIOKafkaProducer(acks="all", enable_idempotence=True)', raw.rate)
    return [higher_is_better("relay PostgreSQL outbox -> Kafka (OutboxRelay.publish_batch)",
                             ours.rate, "events/s", baseline, at_least=0.5)]
