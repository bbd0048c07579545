"""The dispatcher: sends due deliveries, each subscription's in order per aggregate, many
subscriptions side by side.

Each round claims what may go now (`claims`), sends each claimed delivery in a task of its
own outside any transaction, and records the attempt (`recording`). At most
`per_subscription` attempts of one subscription are under way at once, and `in_flight` in
all, so an endpoint that hangs, answers slowly, returns garbage or fails holds up only its
own subscription. If the process dies between sending and recording, the lease runs out
and the attempt is made again with the same `webhook-id`: receivers de-duplicate by it.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import datetime, timedelta
from typing import TypeVar
from uuid import UUID

from prometheus_client import Counter

from chorus.waiting import FINISH_WITHIN, Backoff
from notifications.webhooks.application.claims import Claimed, Claims
from notifications.webhooks.application.recording import Attempts
from notifications.webhooks.domain.delivery import Outcome
from notifications.webhooks.outbound import DeliveryError, Outbound
from notifications.webhooks.signing import signed_headers

log = logging.getLogger(__name__)

T = TypeVar("T")
Clock = Callable[[], datetime]
IN_FLIGHT = 100
PER_SUBSCRIPTION = 4
GRACE = 5.0  # seconds beyond its timeout an attempt is given before it is cut off
LEASE_MARGIN = 10.0  # seconds a lease outlives the timeout: the attempt, then its record

ATTEMPTS = Counter("chorus_webhook_attempts", "Webhook delivery attempts, by outcome",
                   ["outcome"])


class Dispatcher:
    def __init__(self, claims: Claims, attempts: Attempts, outbound: Outbound, *,
                 timeout: float, poll_interval: float, clock: Clock,
                 in_flight: int = IN_FLIGHT) -> None:
        self.claims = claims
        self.attempts = attempts
        self.outbound = outbound
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.clock = clock
        self.in_flight = in_flight
        self.wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._sending: dict[UUID, int] = {}  # subscription -> its attempts under way here

    @staticmethod
    def lease_for(timeout: float) -> timedelta:
        return timedelta(seconds=timeout + LEASE_MARGIN)

    async def run(self) -> None:
        """Claim and send until cancelled; then let the attempts under way record."""
        backoff = Backoff()
        try:
            while True:
                self.wake.clear()
                try:
                    claimed = await _finishing(self.claim())
                except Exception as error:  # the database is away: wait and try again
                    log.warning("webhook dispatcher: claiming failed, retrying: %s", error)
                    await backoff.sleep()
                    continue
                backoff.reset()
                for delivery in claimed:
                    self._start(delivery)
                if not claimed:
                    await self._idle()
        finally:
            await self._stop()

    async def claim(self) -> list[Claimed]:
        free = self.in_flight - len(self._tasks)
        if free <= 0:
            return []
        return await self.claims.take(self.clock(), free, self._sending)

    def _start(self, delivery: Claimed) -> None:
        subscription_id = delivery.subscription_id
        self._sending[subscription_id] = self._sending.get(subscription_id, 0) + 1
        task = asyncio.create_task(self._deliver(delivery), name="webhook delivery")
        self._tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            self._sending[subscription_id] -= 1
            if not self._sending[subscription_id]:
                del self._sending[subscription_id]
            if not finished.cancelled() and (error := finished.exception()) is not None:
                log.error("webhook delivery %s was not recorded: %r", delivery.delivery_id,
                          error)

        task.add_done_callback(done)

    async def _idle(self) -> None:
        """Wait for a new delivery, a finished attempt or the next poll."""
        woken = asyncio.ensure_future(self.wake.wait())
        try:
            await asyncio.wait([woken, *self._tasks], timeout=self.poll_interval,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()

    async def _stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        with suppress(asyncio.CancelledError):
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _deliver(self, delivery: Claimed) -> None:
        headers = signed_headers(str(delivery.delivery_id), delivery.body, delivery.secrets,
                                 self.clock())
        outcome = await self._send(delivery, headers)
        ATTEMPTS.labels("succeeded" if outcome.succeeded else "failed").inc()
        await _finishing(self.attempts.record(delivery, outcome))

    async def _send(self, delivery: Claimed, headers: dict[str, str]) -> Outcome:
        started = asyncio.get_running_loop().time()
        try:
            async with asyncio.timeout(self.timeout + GRACE):  # should the client not keep time
                answer = await self.outbound.post(delivery.url, delivery.body.encode(),
                                                  headers, timeout=self.timeout)
        except DeliveryError as error:
            return Outcome(None, max(0, error.latency_ms), str(error))
        except TimeoutError:
            return Outcome(None, _ms_since(started), f"timed out after {self.timeout:g} s")
        latency = max(0, answer.latency_ms)
        if not 100 <= answer.status_code <= 599:
            return Outcome(None, latency, f"answered with no valid status ({answer.status_code})")
        return Outcome(answer.status_code, latency)


def _ms_since(started: float) -> int:
    return max(0, int((asyncio.get_running_loop().time() - started) * 1000))


async def _finishing(work: Awaitable[T]) -> T:
    """Await `work`; cancelled meanwhile, let it finish first (for up to FINISH_WITHIN
    seconds), so that a transaction is never cut off midway."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        with suppress(Exception, asyncio.CancelledError):
            async with asyncio.timeout(FINISH_WITHIN):
                await task
        raise
