"""The registry's events on real Kafka and PostgreSQL: in order, and never personal."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx
import pytest

from chorus.app import create_app
from chorus.contracts import parse_event
from chorus.envelope import Envelope, from_kafka
from chorus.settings import load_settings
from chorus.transport.base import IncomingMessage, Subscription
from chorus.transport.kafka import KafkaBus
from registry.bootstrap import service as registry
from tests.fixtures.kafka import KafkaBroker
from tests.integration.kafka_support import unique
from tests.services.registry.conftest import ADMIN_KEY, Registry

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

PERSONAL = ["Robin Distinctive", "robin.distinctive@example.org", "+441134960123",
            "1134960123", "LS6 2AB", "loves gardening"]


@pytest.fixture
async def registry_on_kafka(kafka_broker: KafkaBroker, postgres_server: object,
                            tmp_path: Path) -> AsyncIterator[Registry]:
    url = postgres_server.create_database(unique("registry_events").replace(".", "_"))  # type: ignore[attr-defined]
    settings = load_settings(transport="kafka", kafka_bootstrap=kafka_broker.bootstrap_servers,
                             database_url=url, data_dir=tmp_path, poll_interval=0.2,
                             admin_api_key=ADMIN_KEY)
    app = create_app(registry, settings)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://registry"
    ) as http:
        yield Registry(http, app)


async def test_a_participants_life_reaches_kafka_in_order_without_personal_data(
    registry_on_kafka: Registry, kafka_broker: KafkaBroker,
) -> None:
    seen: list[Envelope] = []
    raw: list[bytes] = []

    async def collect(batch: Sequence[IncomingMessage]) -> None:
        for message in batch:
            raw.append(message.value + b"".join(v for _, v in message.headers))
            seen.append(from_kafka(message.key, message.headers, message.value))

    reader = KafkaBus(kafka_broker.bootstrap_servers, client_id="registry-events-test")
    reader.subscribe(Subscription(unique("chorus.test-reader"), ["chorus.registry.events"],
                                  collect))
    await reader.start()
    try:
        app = registry_on_kafka
        network = await app.network("Event Region")
        pid = await _join(app, network)
        me = await app.sign_in(pid, PERSONAL[1])
        await app.http.post(f"/v1/participants/{pid}/pause", headers=me)
        await app.http.post(f"/v1/participants/{pid}/resume", headers=me)
        assert (await app.http.delete(f"/v1/participants/{pid}", headers=me)).status_code == 204
        expected = ["ParticipantJoined", "ProfileUpdated", "ConsentChanged", "ParticipantPaused",
                    "ParticipantResumed", "ParticipantErased"]
        async with asyncio.timeout(60):
            while len([e for e in seen if e.subject == pid]) < len(expected):
                await asyncio.sleep(0.1)
    finally:
        await reader.stop()

    mine = [e for e in seen if e.subject == pid]
    assert [e.type.split(".")[2] for e in mine] == expected
    assert [e.sequence for e in mine] == list(range(1, len(expected) + 1))
    for envelope in mine:
        parse_event(envelope.type, envelope.data)  # each one fits its published contract
    for value in PERSONAL:
        assert not any(value.lower().encode() in r.lower() for r in raw), value


async def _join(app: Registry, network: str) -> str:
    response = await app.http.post("/v1/participants", json={
        "network_id": network,
        "details": {"name": PERSONAL[0], "email": PERSONAL[1], "phone": "0113 496 0123",
                    "postcode": PERSONAL[4], "notes": PERSONAL[5]},
        "profile": {"roles": ["patient"], "methods": ["online"], "topics": ["diabetes"]},
        "consent": {"scope": "network", "equality_monitoring": True,
                    "deprivation_decile": 2, "age_band": "35-44"}})
    assert response.status_code == 201, response.text
    return str(response.json()["participant_id"])
