"""The Kafka broker killed with SIGKILL in the middle of the journey (the invitations are in
the opportunities service's outbox, or just published, when it dies) and restarted: the
journey completes with nothing lost and no notification sent twice. Every e-mail is counted
by kind and recipient, and every webhook by event and `webhook-id`, in the journey's own last
two steps."""

import asyncio
import time

import httpx
import pytest

from chorus.devservers.platform import LocalPlatform
from tests.e2e.conftest import SmtpServer, journey_in, region_of
from tests.e2e.journey import STEPS
from tests.fixtures.kafka import KafkaBroker
from tests.services.notifications.webhook_support import Endpoint

KILLED_AFTER = "invitations are sent"


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.timeout(420)
async def test_the_broker_killed_mid_journey_and_restarted_loses_nothing_and_repeats_nothing(
        platform: LocalPlatform, kafka_broker: KafkaBroker, smtp: SmtpServer,
        partner: Endpoint, http: httpx.AsyncClient) -> None:
    journey = journey_in(region_of(platform), smtp, partner, http, wait=180)
    outage: dict[str, float] = {}
    restarting: list[asyncio.Task[None]] = []

    async def restart() -> None:
        await asyncio.to_thread(kafka_broker.restart)
        outage["back after"] = round(time.monotonic() - outage["killed at"], 1)

    async def kill_the_broker(step: str) -> None:
        if step == KILLED_AFTER:
            kafka_broker.kill()  # SIGKILL: no shutdown of any kind
            outage["killed at"] = time.monotonic()
            restarting.append(asyncio.create_task(restart()))

    try:
        await journey.run(between=kill_the_broker)
    finally:  # the broker is the session's: leave it running for the tests after this one
        for task in restarting:
            try:
                await task
            except Exception:
                await asyncio.to_thread(kafka_broker.restart)
    assert restarting and "back after" in outage, "the broker was never killed and restarted"
    assert list(journey.timings) == list(STEPS)
    print(f"broker back after {outage['back after']} s; steps (s): {journey.timings}")
