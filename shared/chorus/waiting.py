"""The waiting and looping every background worker shares: relay, projections, buses."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from contextlib import suppress
from typing import NoReturn

log = logging.getLogger(__name__)

FINISH_WITHIN = 10.0  # seconds a cancelled worker gives the step under way to finish


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


async def work_in_batches(
    step: Callable[[], Awaitable[int]],
    *,
    wake: asyncio.Event,
    batch_size: int,
    poll_interval: float,
    name: str,
) -> NoReturn:
    """Run `step` until cancelled: again at once while it fills whole batches, otherwise on
    `wake` or after `poll_interval`; after a failure, with exponential backoff.

    Cancelled during a step, it lets that step finish (for up to `FINISH_WITHIN` seconds)
    before stopping: a transaction cut off midway can leave SQLite's write lock held until
    its connection is collected, and then the next writer waits out the busy timeout."""
    backoff = Backoff()
    while True:
        wake.clear()
        batch = asyncio.ensure_future(step())
        try:
            done = await asyncio.shield(batch)
        except asyncio.CancelledError:
            with suppress(Exception, asyncio.CancelledError):
                async with asyncio.timeout(FINISH_WITHIN):
                    await batch
            raise
        except Exception as error:  # a database or broker away: wait and try again
            log.warning("%s failed, retrying: %s", name, error)
            await backoff.sleep()
            continue
        backoff.reset()
        if done < batch_size:
            await wait_for_wake(wake, poll_interval)


async def cancel_and_wait(tasks: Iterable[asyncio.Task[object]]) -> None:
    """Cancel background tasks and wait until each has finished."""
    tasks = list(tasks)
    for task in tasks:
        task.cancel()
    for task in tasks:
        with suppress(asyncio.CancelledError):
            await task
