"""Run as a child process: a Kafka consumer that records each event's effect, slowly.

Usage: python -m tests.integration.consumer_child BOOTSTRAP DATABASE_URL TOPIC GROUP
It runs until killed; the parent kills it with SIGKILL in the middle of a batch. With
DIE_AFTER_BATCHES=N it kills itself after its Nth batch committed but before the offsets
were committed, so the broker delivers that batch again and only the inbox stops a
second effect.
"""

import asyncio
import os
import signal
import sys
from collections.abc import Sequence

from chorus.envelope import Envelope
from chorus.inbox import InboxConsumer
from chorus.store import Database
from chorus.store.database import Transaction
from chorus.transport.base import IncomingMessage, Subscription
from chorus.transport.kafka import KafkaBus
from tests.kernel.support import record_effect


async def slow_effect(tx: Transaction, envelope: Envelope) -> None:
    await record_effect(tx, envelope)
    await asyncio.sleep(0.002)  # widen the window in which a kill lands mid-batch


async def main(bootstrap: str, database_url: str, topic: str, group: str) -> None:
    db = Database(database_url)
    bus = KafkaBus(bootstrap, client_id="crashing-reader")
    reader = InboxConsumer("tally-reader", db, bus, slow_effect,
                           dlq_topic="chorus.tally-reader.dlq")
    die_after = int(os.environ.get("DIE_AFTER_BATCHES", "0"))
    batches = 0

    async def process(batch: Sequence[IncomingMessage]) -> None:
        nonlocal batches
        await reader.process_batch(batch)
        batches += 1
        if batches == die_after:
            os.kill(os.getpid(), signal.SIGKILL)

    bus.subscribe(Subscription(group, [topic], process, max_batch=200))
    await bus.start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
