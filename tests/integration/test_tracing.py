"""One trace from the HTTP request, through the store, the relay and Kafka, to a consumer."""

import asyncio
from pathlib import Path

import httpx
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from chorus.app import create_app
from chorus.envelope import Envelope
from chorus.inbox import InboxConsumer
from chorus.migrations import upgrade
from chorus.settings import load_settings
from chorus.store import Database
from chorus.store.database import Transaction
from chorus.transport.base import Subscription
from chorus.transport.kafka import KafkaBus
from registry.bootstrap import service as registry
from tests.fixtures.kafka import KafkaBroker
from tests.integration.kafka_support import unique

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


async def test_one_trace_id_from_the_http_request_to_the_consumers_span(
    kafka_broker: KafkaBroker, postgres_server: object, spans: InMemorySpanExporter,
    tmp_path: Path,
) -> None:
    databases = {name: postgres_server.create_database(unique(f"trace_{name}").replace(".", "_"))  # type: ignore[attr-defined]
                 for name in ("registry", "reader")}
    settings = load_settings(transport="kafka", kafka_bootstrap=kafka_broker.bootstrap_servers,
                             database_url=databases["registry"], poll_interval=0.2,
                             admin_api_key="chorus_admin_trace-test", data_dir=tmp_path)
    app = create_app(registry, settings)
    seen: list[Envelope] = []
    reader_db = Database(databases["reader"])
    await upgrade(reader_db, [])
    reader_bus = KafkaBus(kafka_broker.bootstrap_servers, client_id="trace-reader")

    async def remember(tx: Transaction, envelope: Envelope) -> None:
        seen.append(envelope)

    reader = InboxConsumer("trace-reader", reader_db, reader_bus, remember,
                           dlq_topic="chorus.trace-reader.dlq")
    reader_bus.subscribe(Subscription(unique("chorus.trace-reader"), ["chorus.registry.events"],
                                      reader.process_batch))
    async with app.router.lifespan_context(app):
        await reader_bus.start()
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://registry") as client:
                token = (await client.post("/v1/auth/token", json={
                    "api_key": "chorus_admin_trace-test"})).json()["access_token"]
                response = await client.post("/v1/networks", json={"name": "Traced network"},
                                             headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 201
            network_id = response.json()["network_id"]
            async with asyncio.timeout(60):
                while not any(e.subject == network_id for e in seen):
                    await asyncio.sleep(0.05)
        finally:
            await reader_bus.stop()
            await reader_db.dispose()

    finished = spans.get_finished_spans()
    [server] = [s for s in finished if s.kind == SpanKind.SERVER and "/v1/networks" in s.name]
    [consumed] = [s for s in finished if s.kind == SpanKind.CONSUMER
                  and s.attributes and s.attributes.get("chorus.consumer") == "trace-reader"
                  and s.attributes.get("chorus.subject") == network_id]
    published = [s for s in finished if s.kind == SpanKind.PRODUCER
                 and s.context.trace_id == server.context.trace_id]
    assert consumed.context.trace_id == server.context.trace_id
    assert published, "the relay's publish span belongs to the same trace"
