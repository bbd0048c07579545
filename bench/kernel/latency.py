"""Figure 3: end-to-end latency, from an append's commit to a consumer's committed effect.

A steady 1,000 events/s (100 transactions/s of 10 events, each transaction a new stream)
is appended through `EventStore` for 10 s, after a 2 s warm-up and a 5 s reference run at
a light 100 events/s (where nothing should queue). The relay runs as a task
(`OutboxRelay.run()`, woken by the store's on_commit callback); a consumer (`InboxConsumer`
behind `Bus.subscribe`) writes one row per event into a table of its own database. Each
event's latency runs from the moment its append transaction committed (`tx.after_commit`
in the appender) to the moment the consumer's transaction holding its effect committed
(`tx.after_commit` in the handler), on the machine's monotonic clock.

Two set-ups, each as it is deployed:

* Kafka + PostgreSQL: producer and consumer databases on one server; the consumer is a
  process of its own, like any consuming service.
* Embedded bus + SQLite: one process, one SQLite file per service and one for the bus.

Each has a "bare transport" baseline: messages of the same size at the steady rate (10 per
publish, 100 publishes/s, for 5 s after a warm-up) through the transport alone (a raw
aiokafka producer and consumer; the EmbeddedBus with a subscriber), from the publish call
to the consumer's receipt.
"""

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from itertools import count
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.kernel.consumer import ConsumerProcess, consumer_database, subscribe_consumer
from bench.kernel.load import (
    Latencies,
    LocalStamps,
    Send,
    Stamps,
    StampSource,
    all_seen,
    stamp,
    steady,
)
from bench.kernel.servers import Servers
from bench.kernel.workload import (
    SERVICE,
    TOPIC,
    append_new_stream,
    event_data,
    event_store,
    migrated,
    new_events,
)
from bench.report import Baseline, Figure, higher_is_better, lower_is_better
from chorus.contracts.registry import OrganisationJoined
from chorus.envelope import Envelope, to_kafka
from chorus.relay import OutboxRelay
from chorus.store import EventStore
from chorus.transport.base import Bus, IncomingMessage, OutgoingMessage, Subscription
from chorus.transport.embedded import EmbeddedBus
from chorus.transport.kafka import KafkaBus

P50_TARGET_MS = 20.0
DRAIN_TIMEOUT = 60.0
BARE_SECONDS = 5.0


@dataclass(frozen=True)
class Load:
    """A steady load: events a second, in transactions (or publishes) of `per_tx`."""

    events_per_second: float
    per_tx: int
    seconds: float

    @property
    def tx_per_second(self) -> float:
        return self.events_per_second / self.per_tx

    def __str__(self) -> str:
        return f"{self.events_per_second:,.0f} ev/s ({self.per_tx}/tx)"


STEADY = Load(1_000, 10, 10.0)
"""The load the target is for."""
LIGHT = Load(100, 10, 5.0)
"""A reference well below saturation: what the path costs when nothing queues."""
WARMUP = Load(100, 10, 2.0)

Publish = Callable[[Sequence[OutgoingMessage]], Awaitable[None]]


# --- chorus: store -> relay -> bus -> inbox consumer -----------------------------------


def appender(store: EventStore, per_tx: int, committed: Stamps) -> Send:
    """One transaction of `per_tx` events on a new stream, each stamped at commit."""

    async def append() -> None:
        events = new_events(per_tx)
        async with store.db.transaction() as tx:
            await append_new_stream(store, tx, events)
            for event in events:
                tx.after_commit(stamp, committed, str(event.event_id))

    return append


async def apply_load(store: EventStore, consumed: StampSource, load: Load) -> Latencies:
    """Keep `load` up, then wait until every event has been consumed."""
    committed: Stamps = {}
    tx_rate = await steady(load.tx_per_second, load.seconds,
                           appender(store, load.per_tx, committed))
    seen = await all_seen(committed, consumed, DRAIN_TIMEOUT)
    return Latencies.between(committed, seen, tx_rate * load.per_tx)


async def measure_pipeline(store: EventStore, consumed: StampSource) -> dict[Load, Latencies]:
    """Warm up, then the light reference load, then the steady load."""
    await apply_load(store, consumed, WARMUP)
    return {load: await apply_load(store, consumed, load) for load in (LIGHT, STEADY)}


async def start_bus(stack: AsyncExitStack, bus: Bus) -> None:
    await bus.start()
    stack.push_async_callback(bus.stop)


def in_background(stack: AsyncExitStack, work: Coroutine[Any, Any, None]) -> None:
    """Run `work` as a task until the stack closes, then cancel it and wait for it."""
    task = asyncio.create_task(work)

    async def stop() -> None:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    stack.push_async_callback(stop)


async def kafka_pipeline(servers: Servers) -> dict[Load, Latencies]:
    async with AsyncExitStack() as stack:
        db = await migrated(servers.postgres_url("latency_producer"))
        stack.push_async_callback(db.dispose)
        bus = KafkaBus(servers.bootstrap_servers, client_id="bench-producer")
        await bus.ensure_topics([TOPIC])
        await start_bus(stack, bus)
        consumer = ConsumerProcess(servers.bootstrap_servers,
                                   servers.postgres_url("latency_consumer"), TOPIC)
        await asyncio.to_thread(consumer.start)
        stack.push_async_callback(asyncio.to_thread, consumer.stop)
        relay = OutboxRelay(db, bus, service=SERVICE)
        in_background(stack, relay.run())
        return await measure_pipeline(event_store(db, on_commit=relay.wake.set), consumer)


async def embedded_pipeline(servers: Servers) -> dict[Load, Latencies]:
    async with AsyncExitStack() as stack:
        db = await migrated(servers.sqlite_url("latency_producer"))
        stack.push_async_callback(db.dispose)
        consumer_db = await consumer_database(servers.sqlite_url("latency_consumer"))
        stack.push_async_callback(consumer_db.dispose)
        bus = EmbeddedBus(servers.sqlite_url("latency_bus"))
        consumed: Stamps = {}
        subscribe_consumer(bus, consumer_db, TOPIC, consumed)
        await start_bus(stack, bus)
        relay = OutboxRelay(db, bus, service=SERVICE)
        in_background(stack, relay.run())
        store = event_store(db, on_commit=relay.wake.set)
        return await measure_pipeline(store, LocalStamps(consumed))


# --- bare transports ---------------------------------------------------------------------


def sample_messages(topic: str, keys: Sequence[str]) -> list[OutgoingMessage]:
    """Messages like the relay's (a CloudEvent of the same data), keyed so that their
    receipt can be matched."""
    record = to_kafka(Envelope(type=OrganisationJoined.event_type(), source=f"/chorus/{SERVICE}",
                               subject="organisation", data=event_data(), sequence=1))
    return [OutgoingMessage(topic=topic, key=key.encode(), headers=record.headers,
                            value=record.value) for key in keys]


async def measure_transport(publish: Publish, topic: str, received: Stamps) -> Latencies:
    """Publish at the STEADY rate and batch size, after a warm-up; time each message from
    the publish call to its receipt."""
    numbers = count()

    async def apply(load: Load) -> Latencies:
        published: Stamps = {}

        async def send() -> None:
            keys = [str(next(numbers)) for _ in range(load.per_tx)]
            for key in keys:
                stamp(published, key)
            await publish(sample_messages(topic, keys))

        rate = await steady(load.tx_per_second, load.seconds, send)
        seen = await all_seen(published, LocalStamps(received), DRAIN_TIMEOUT)
        return Latencies.between(published, seen, rate * load.per_tx)

    await apply(WARMUP)
    return await apply(Load(STEADY.events_per_second, STEADY.per_tx, BARE_SECONDS))


async def raw_kafka_transport(servers: Servers) -> Latencies:
    topic = "bench.latency.raw"
    await KafkaBus(servers.bootstrap_servers, client_id="bench-admin").ensure_topics([topic])
    producer = AIOKafkaProducer(bootstrap_servers=servers.bootstrap_servers,
                                acks="all", enable_idempotence=True)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=servers.bootstrap_servers,
                                group_id="bench-latency-raw", auto_offset_reset="earliest")
    received: Stamps = {}

    async def consume() -> None:
        while True:
            for records in (await consumer.getmany(timeout_ms=100)).values():
                for record in records:
                    stamp(received, record.key.decode())

    async def publish(messages: Sequence[OutgoingMessage]) -> None:
        pending = [await producer.send(m.topic, m.value, key=m.key, headers=m.headers)
                   for m in messages]
        await asyncio.gather(*pending)

    async with AsyncExitStack() as stack:
        await producer.start()
        stack.push_async_callback(producer.stop)
        await consumer.start()
        stack.push_async_callback(consumer.stop)
        in_background(stack, consume())
        return await measure_transport(publish, topic, received)


async def embedded_transport(servers: Servers) -> Latencies:
    topic = "bench.latency.embedded"
    bus = EmbeddedBus(servers.sqlite_url("latency_bare_bus"))
    received: Stamps = {}

    async def handle(messages: Sequence[IncomingMessage]) -> None:
        for message in messages:
            stamp(received, (message.key or b"").decode())

    bus.subscribe(Subscription(group="bench-latency-bare", topics=[topic], handle=handle))
    async with AsyncExitStack() as stack:
        await start_bus(stack, bus)
        return await measure_transport(bus.publish, topic, received)


# --- figures -----------------------------------------------------------------------------


def figures_for(
    label: str, measured: dict[Load, Latencies], bare: Latencies, bare_name: str
) -> list[Figure]:
    steady_run, light_run = measured[STEADY], measured[LIGHT]
    p50 = Baseline(f"{bare_name} at {STEADY}, p50", bare.percentile_ms(50))
    p99 = Baseline(f"{bare_name} at {STEADY}, p99", bare.percentile_ms(99))
    return [
        lower_is_better(f"{label} at {STEADY}, p50", steady_run.percentile_ms(50), "ms", p50,
                        below=P50_TARGET_MS),
        lower_is_better(f"{label} at {STEADY}, p99", steady_run.percentile_ms(99), "ms", p99,
                        below=None),
        higher_is_better(f"{label} at {STEADY}, append rate achieved",
                         steady_run.achieved_rate, "events/s",
                         Baseline("rate asked for", STEADY.events_per_second), at_least=0.95),
        higher_is_better(f"{label} at {STEADY}, events consumed within {DRAIN_TIMEOUT:g} s",
                         steady_run.seen, "events", Baseline("events appended", steady_run.sent),
                         at_least=1.0),
        lower_is_better(f"{label} at {LIGHT} (reference), p50", light_run.percentile_ms(50),
                        "ms", p50, below=None),
        lower_is_better(f"{label} at {LIGHT} (reference), p99", light_run.percentile_ms(99),
                        "ms", p99, below=None),
    ]


async def run(servers: Servers, progress: Callable[[str], None]) -> list[Figure]:
    loads = f"{LIGHT} for {LIGHT.seconds:g} s, then {STEADY} for {STEADY.seconds:g} s"
    progress(f"latency: Kafka + PostgreSQL, {loads}")
    kafka = await kafka_pipeline(servers)
    progress("latency: bare aiokafka producer -> consumer")
    raw = await raw_kafka_transport(servers)
    progress(f"latency: embedded bus + SQLite, {loads}")
    embedded = await embedded_pipeline(servers)
    progress("latency: bare EmbeddedBus publish -> subscriber")
    bare = await embedded_transport(servers)
    return [
        *figures_for("e2e Kafka+PostgreSQL", kafka, raw, "raw aiokafka produce->consume"),
        *figures_for("e2e embedded bus+SQLite", embedded, bare, "bare EmbeddedBus"),
    ]
