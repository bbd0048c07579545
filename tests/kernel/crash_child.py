"""Run as a child process: commit an event, then die by SIGKILL before it is delivered.

Usage: python -m tests.kernel.crash_child STORE_URL BUS_URL {after-append|after-publish}
"""

import asyncio
import os
import signal
import sys

from chorus.migrations import upgrade
from chorus.relay import OutboxRelay
from chorus.store import Database
from chorus.transport.embedded import EmbeddedBus
from tests.kernel.support import counted, tally_store


async def main(store_url: str, bus_url: str, moment: str) -> None:
    db = Database(store_url)
    await upgrade(db, [])
    store = tally_store(db)
    async with db.transaction() as tx:
        await store.append(tx, "t-crash", "tally", 0, [counted(1)])
    if moment == "after-publish":
        bus = EmbeddedBus(bus_url)
        await bus.start()
        await OutboxRelay(db, bus, service="tally").publish_batch()
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
