"""Small waiting helpers shared by the relay, the projections and the transports."""

import asyncio
from contextlib import suppress


async def wait_for_wake(wake: asyncio.Event, seconds: float) -> None:
    """Return when `wake` is set or after `seconds`, whichever comes first."""
    with suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await wake.wait()


class Backoff:
    """Exponential backoff with a ceiling, reset after a success."""

    def __init__(self, first: float = 0.1, ceiling: float = 5.0) -> None:
        self.first = first
        self.ceiling = ceiling
        self.delay = first

    async def sleep(self) -> None:
        await asyncio.sleep(self.delay)
        self.delay = min(self.delay * 2, self.ceiling)

    def reset(self) -> None:
        self.delay = self.first
