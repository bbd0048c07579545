"""The registry and the opportunities service on real Kafka and PostgreSQL, as in production:
each with its own database and its own bus. When a participant pauses, their open invitation
is withdrawn, the withdrawal is published, and the registry's event takes effect once."""

from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from chorus.app import create_app
from chorus.contracts import opportunities as contracts
from chorus.contracts import parse_event
from chorus.envelope import Envelope, from_kafka
from chorus.settings import load_settings
from chorus.store.schema import events, inbox
from chorus.transport.base import IncomingMessage, OutgoingMessage, Subscription
from chorus.transport.kafka import KafkaBus
from opportunities.bootstrap import service as opportunities
from registry.bootstrap import service as registry
from tests.fixtures.kafka import KafkaBroker
from tests.fixtures.postgres import PostgresServer
from tests.integration.kafka_support import unique, until
from tests.services.opportunities.conftest import Region
from tests.services.registry.conftest import ADMIN_KEY, Registry

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]

REGISTRY_TOPIC = "chorus.registry.events"
OPPORTUNITIES_TOPIC = "chorus.opportunities.events"
WAIT = 30  # seconds, for anything that crosses the broker


@pytest.fixture
async def region_on_kafka(kafka_broker: KafkaBroker, postgres_server: PostgresServer,
                          tmp_path: Path) -> AsyncIterator[Region]:
    """Registry and opportunities, each with its own PostgreSQL database and KafkaBus."""
    prefix = unique("opportunities_kafka").replace(".", "_")
    names = [f"{prefix}_{service}" for service in ("registry", "opportunities")]
    for name in names:
        postgres_server.create_database(name)
    settings = load_settings(
        transport="kafka", kafka_bootstrap=kafka_broker.bootstrap_servers,
        database_url=postgres_server.url(f"{prefix}_{{service}}"), data_dir=tmp_path,
        poll_interval=0.2, admin_api_key=ADMIN_KEY)
    registry_app = create_app(registry, settings)
    opportunities_app = create_app(opportunities, settings)
    try:
        async with registry_app.router.lifespan_context(registry_app), \
                opportunities_app.router.lifespan_context(opportunities_app), \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=registry_app),
                                  base_url="http://registry") as registry_http, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=opportunities_app),
                                  base_url="http://opportunities") as http:
            region = Region(Registry(registry_http, registry_app), http, opportunities_app)
            await region.start()
            yield region
    finally:
        for name in names:
            postgres_server.drop_database(name)


class Reader:
    """Reads both services' topics from the start, as a consumer of public events would."""

    def __init__(self, bootstrap_servers: str) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.messages: list[IncomingMessage] = []
        self.group = unique("chorus.test-reader")
        self.bus = KafkaBus(bootstrap_servers, client_id="opportunities-events-test")
        self.bus.subscribe(Subscription(self.group, [REGISTRY_TOPIC, OPPORTUNITIES_TOPIC],
                                        self._collect))

    async def __aenter__(self) -> "Reader":
        await self.bus.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.bus.stop()

    async def _collect(self, batch: Sequence[IncomingMessage]) -> None:
        self.messages.extend(batch)

    def seen(self, topic: str, name: str, **data: str) -> list[tuple[IncomingMessage, Envelope]]:
        """The events of this name on the topic whose data has these values."""
        found = []
        for message in self.messages:
            envelope = from_kafka(message.key, message.headers, message.value)
            if (message.topic == topic and envelope.type.split(".")[2] == name
                    and all(envelope.data.get(k) == v for k, v in data.items())):
                found.append((message, envelope))
        return found

    async def one(self, topic: str, name: str, **data: str) -> tuple[IncomingMessage, Envelope]:
        """Wait for the event of this name on the topic whose data has these values."""
        async def arrived() -> bool:
            return bool(self.seen(topic, name, **data))

        await until(arrived, WAIT, f"{name} on {topic}")
        [found] = self.seen(topic, name, **data)
        return found

    async def caught_up(self) -> bool:
        return await self.bus.lag(self.group, [REGISTRY_TOPIC, OPPORTUNITIES_TOPIC]) == 0


async def test_a_pause_withdraws_the_open_invitation_once(
    region_on_kafka: Region, kafka_broker: KafkaBroker,
) -> None:
    region = region_on_kafka
    async with Reader(kafka_broker.bootstrap_servers) as reader:
        _, staff = await region.organisation()
        alex, alex_headers = await region.person()
        await until(lambda: _in_pool(region, alex, "active"), WAIT,
                    "the participant to reach the opportunities pool")
        opportunity_id = (await region.publish(staff))["opportunity_id"]
        invited = await region.http.post(f"/v1/opportunities/{opportunity_id}/invitations",
                                         json={"participant_ids": [alex]}, headers=staff)
        assert invited.status_code == 201, invited.text
        invitation_id = invited.json()[0]["invitation_id"]

        paused = await region.registry.http.post(f"/v1/participants/{alex}/pause",
                                                 headers=alex_headers)
        assert paused.status_code == 200, paused.text

        async def withdrawn() -> bool:
            return await _invitation_status(region, opportunity_id, staff) == "withdrawn"

        await until(withdrawn, WAIT, "the invitation to be withdrawn")
        _, envelope = await reader.one(OPPORTUNITIES_TOPIC, "InvitationWithdrawn",
                                       invitation_id=invitation_id)
        contract = parse_event(envelope.type, envelope.data)
        assert isinstance(contract, contracts.InvitationWithdrawn)
        assert contract.reason == "participant_paused"
        assert (str(contract.participant_id), str(contract.opportunity_id)) == (
            alex, opportunity_id)

        pause, pause_envelope = await reader.one(REGISTRY_TOPIC, "ParticipantPaused",
                                                 participant_id=alex)
        await _delivered_again_then_resumed(region, reader, pause, alex, alex_headers)

        assert await _inbox_rows(region, pause_envelope) == 1
        assert await _withdrawals_stored(region, opportunity_id) == 1
        await until(lambda: _all_published(region, reader), WAIT,
                    "the opportunities outbox to be published and read")
        assert len(reader.seen(OPPORTUNITIES_TOPIC, "InvitationWithdrawn",
                               invitation_id=invitation_id)) == 1
        assert await _invitation_status(region, opportunity_id, staff) == "withdrawn"


async def _delivered_again_then_resumed(region: Region, reader: Reader, pause: IncomingMessage,
                                        participant_id: str, headers: dict[str, str]) -> None:
    """Deliver the ParticipantPaused record again, then resume the participant. The resume has
    the same key, so it lands behind the copy in the same partition: once the pool shows the
    participant active, the copy was handled. It must have changed nothing."""
    runtime: Any = region.app.state.runtime

    async def consumed_all() -> bool:
        return await runtime.bus.lag("chorus.opportunities", [REGISTRY_TOPIC]) == 0

    await until(consumed_all, WAIT, "the opportunities consumer to read all registry events")
    before = _consumed()
    producer = KafkaBus(reader.bootstrap_servers, client_id="redelivery-test")
    await producer.start()
    try:
        await producer.publish([OutgoingMessage(pause.topic, pause.key or b"", pause.headers,
                                                pause.value)])
    finally:
        await producer.stop()
    resumed = await region.registry.http.post(f"/v1/participants/{participant_id}/resume",
                                              headers=headers)
    assert resumed.status_code == 200, resumed.text
    await until(lambda: _in_pool(region, participant_id, "active"), WAIT,
                "the participant to be active in the pool again")
    assert _consumed() - before == 1, "the re-delivered ParticipantPaused was applied again"


def _consumed() -> float:
    """Events the opportunities consumer applied for the first time (the inbox skips copies)."""
    value = REGISTRY.get_sample_value("chorus_events_consumed_total",
                                      {"consumer": "opportunities"})
    return value or 0.0


async def _in_pool(region: Region, participant_id: str, status: str) -> bool:
    member = await region.state.matcher.pool.member(UUID(participant_id))
    return member is not None and member.candidate.status == status


async def _invitation_status(region: Region, opportunity_id: str,
                             staff: dict[str, str]) -> str:
    response = await region.http.get(f"/v1/opportunities/{opportunity_id}/invitations",
                                     headers=staff)
    assert response.status_code == 200, response.text
    [invitation] = response.json()
    return str(invitation["status"])


async def _all_published(region: Region, reader: Reader) -> bool:
    runtime: Any = region.app.state.runtime
    return await runtime.relay.pending() == 0 and await reader.caught_up()


async def _inbox_rows(region: Region, envelope: Envelope) -> int:
    """The opportunities consumer's inbox rows for this registry event."""
    async with region.state.opportunities.db.snapshot() as tx:
        return int((await tx.conn.execute(select(func.count()).select_from(inbox).where(
            inbox.c.consumer == "opportunities", inbox.c.source == envelope.source,
            inbox.c.event_id == envelope.id))).scalar_one())


async def _withdrawals_stored(region: Region, opportunity_id: str) -> int:
    async with region.state.opportunities.db.snapshot() as tx:
        return int((await tx.conn.execute(select(func.count()).select_from(events).where(
            events.c.stream_id == opportunity_id,
            events.c.event_type == "InvitationWithdrawn"))).scalar_one())
