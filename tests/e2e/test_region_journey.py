"""The whole journey of a region, twice, with the same driver and the same assertions: on
separate `chorus serve` processes with real Kafka and one PostgreSQL database per service,
as a region runs it; and on `chorus up`, the embedded default (SQLite and the embedded bus in
one child process). Both modes behave alike."""

import httpx
import pytest

from chorus.devservers.platform import LocalPlatform
from tests.e2e.conftest import SmtpServer, journey_in, region_of
from tests.e2e.journey import STEPS, Region
from tests.services.notifications.webhook_support import Endpoint


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.timeout(420)
async def test_the_journey_on_separate_processes_with_kafka_and_postgresql(
        platform: LocalPlatform, smtp: SmtpServer, partner: Endpoint,
        http: httpx.AsyncClient) -> None:
    journey = journey_in(region_of(platform), smtp, partner, http)
    await journey.run()
    assert list(journey.timings) == list(STEPS)
    print("steps (s):", journey.timings)


@pytest.mark.timeout(300)
async def test_the_same_journey_on_the_embedded_default(
        embedded: Region, smtp: SmtpServer, partner: Endpoint,
        http: httpx.AsyncClient) -> None:
    journey = journey_in(embedded, smtp, partner, http)
    await journey.run()
    assert list(journey.timings) == list(STEPS)
    print("steps (s):", journey.timings)
