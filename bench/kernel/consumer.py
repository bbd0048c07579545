"""The latency benchmark's consumer: an `InboxConsumer` writing one row per event.

Its handler stamps each event once the consumer's transaction has committed. On Kafka the
consumer runs in a process of its own, as a consuming service does in production; it hands
its stamps to the benchmark over a pipe.
"""

import asyncio
import multiprocessing
from multiprocessing.connection import Connection

from sqlalchemy import Column, MetaData, String, Table, insert

from bench.kernel.load import Stamps, quiet_logging, stamp
from bench.kernel.workload import migrated
from chorus.envelope import Envelope
from chorus.inbox import EventHandler, InboxConsumer
from chorus.store import Database
from chorus.store.database import Transaction
from chorus.transport.base import Bus, Subscription
from chorus.transport.kafka import KafkaBus

CONSUMER = "bench-latency"
START_TIMEOUT = 60.0

effects_metadata = MetaData()
effects = Table(
    "bench_effects", effects_metadata,
    Column("event_id", String(64), primary_key=True),
    Column("organisation_id", String(64), nullable=False),
)


INSERT_EFFECT = insert(effects)  # built once; each call only binds its parameters


def effect_handler(done: Stamps) -> EventHandler:
    """One row per event, stamped once the consumer's transaction has committed."""

    async def handle(tx: Transaction, envelope: Envelope) -> None:
        await tx.conn.execute(INSERT_EFFECT, {
            "event_id": envelope.id, "organisation_id": envelope.data["organisation_id"]})
        tx.after_commit(stamp, done, envelope.id)

    return handle


async def consumer_database(url: str) -> Database:
    """The consuming service's own database: the kernel's tables and the effects table."""
    db = await migrated(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(effects_metadata.create_all)
    return db


def subscribe_consumer(bus: Bus, db: Database, topic: str, done: Stamps) -> None:
    consumer = InboxConsumer(CONSUMER, db, bus, effect_handler(done),
                             dlq_topic=f"chorus.{CONSUMER}.dlq")
    bus.subscribe(Subscription(group=CONSUMER, topics=[topic], handle=consumer.process_batch))


class ConsumerProcess:
    """A Kafka consumer service in a child process; a `StampSource` for the benchmark."""

    def __init__(self, bootstrap_servers: str, database_url: str, topic: str) -> None:
        self._pipe, child_end = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("spawn").Process(
            target=_serve_forever, args=(bootstrap_servers, database_url, topic, child_end),
            name="bench-consumer", daemon=True)
        self._seen: Stamps = {}

    def start(self) -> None:
        self._process.start()
        self._expect("started")

    async def stamps(self) -> Stamps:
        self._pipe.send("stamps")
        self._seen.update(await asyncio.to_thread(self._pipe.recv))
        return self._seen

    def stop(self) -> None:
        if self._process.is_alive():
            self._pipe.send("stop")
            self._expect("stopped")
        self._process.join(10)
        if self._process.is_alive():
            self._process.terminate()

    def _expect(self, reply: str) -> None:
        if not self._pipe.poll(START_TIMEOUT):
            raise RuntimeError(f"the consumer process did not answer {reply!r} in time")
        answer = self._pipe.recv()
        if answer != reply:
            raise RuntimeError(f"the consumer process answered {answer!r}, not {reply!r}")


def _serve_forever(bootstrap_servers: str, database_url: str, topic: str,
                   pipe: Connection) -> None:
    quiet_logging()
    asyncio.run(_serve(bootstrap_servers, database_url, topic, pipe))


async def _serve(bootstrap_servers: str, database_url: str, topic: str,
                 pipe: Connection) -> None:
    db = await consumer_database(database_url)
    bus = KafkaBus(bootstrap_servers, client_id="bench-consumer")
    done: Stamps = {}
    subscribe_consumer(bus, db, topic, done)
    await bus.start()
    requests: asyncio.Queue[str] = asyncio.Queue()
    loop = asyncio.get_running_loop()
    loop.add_reader(pipe.fileno(), lambda: requests.put_nowait(pipe.recv()))
    pipe.send("started")
    reported = 0  # stamps are only ever added, and a dict keeps insertion order
    try:
        while await requests.get() == "stamps":
            new = list(done.items())[reported:]
            pipe.send(dict(new))
            reported += len(new)
    finally:
        loop.remove_reader(pipe.fileno())
        await bus.stop()
        await db.dispose()
    pipe.send("stopped")
