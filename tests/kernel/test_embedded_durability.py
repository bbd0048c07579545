"""The embedded bus is durable: what was committed before a crash is delivered after it."""

import asyncio
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from chorus.envelope import from_kafka
from chorus.relay import OutboxRelay
from chorus.store import Database
from chorus.transport.base import IncomingMessage, Subscription
from chorus.transport.embedded import EmbeddedBus
from tests.kernel.support import TOPIC


@pytest.mark.parametrize("moment", ["after-append", "after-publish"])
async def test_an_event_committed_just_before_a_kill_is_delivered_after_restart(
    tmp_path: Path, moment: str,
) -> None:
    store_url = f"sqlite+aiosqlite:///{tmp_path / 'tally.db'}"
    bus_url = f"sqlite+aiosqlite:///{tmp_path / 'bus.db'}"
    child = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "tests.kernel.crash_child", store_url, bus_url,
                         moment], capture_output=True, timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()

    received: list[IncomingMessage] = []

    async def receive(batch: Sequence[IncomingMessage]) -> None:
        received.extend(batch)

    db = Database(store_url)
    bus = EmbeddedBus(bus_url, poll_interval=0.05)
    bus.subscribe(Subscription("chorus.reader", [TOPIC], receive))
    await bus.start()
    relay = asyncio.create_task(OutboxRelay(db, bus, service="tally", poll_interval=0.05).run())
    try:
        async with asyncio.timeout(15):
            while not received:
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # nothing more should arrive
    finally:
        relay.cancel()
        await asyncio.gather(relay, return_exceptions=True)
        await bus.stop()
        await db.dispose()
    [delivered] = received
    envelope = from_kafka(delivered.key, delivered.headers, delivered.value)
    assert (envelope.subject, envelope.sequence, envelope.data) == ("t-crash", 1, {"n": 1})
