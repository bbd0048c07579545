"""Helpers for tests on the real broker: unique topics, effect counts, waiting."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy import func, select

from chorus.store import Database
from tests.kernel.support import applied


def unique(prefix: str) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:8]}"


async def effect_count(db: Database) -> tuple[int, int]:
    """How many effects were recorded, and for how many distinct events."""
    async with db.connect() as conn:
        row = (await conn.execute(select(func.count(), func.count(applied.c.event_id.distinct()))
                                  )).one()
        return int(row[0]), int(row[1])


async def until(check: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    try:
        async with asyncio.timeout(seconds):
            while not await check():
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"timed out after {seconds}s waiting for {what}") from None


async def sequences_in_order(db: Database) -> bool:
    """Each aggregate's events were applied in the order they were appended."""
    async with db.connect() as conn:
        rows = (await conn.execute(select(applied.c.subject, applied.c.sequence)
                                   .order_by(applied.c.row))).all()
    last: dict[str, int] = {}
    for subject, sequence in rows:
        if sequence <= last.get(subject, 0):
            return False
        last[subject] = sequence
    return True
