"""Shared fixtures: real PostgreSQL and Kafka servers for the session, databases per test."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from chorus.migrations import upgrade
from chorus.store.database import Database

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

pytest_plugins = ["tests.fixtures.postgres", "tests.fixtures.kafka"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test against both stores: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated kernel database (events, outbox, inbox, projection positions)."""
    db = Database(database_url)
    await upgrade(db, [])
    yield db
    await db.dispose()


@pytest.fixture(scope="session")
def spans() -> "InMemorySpanExporter":
    """Every span the session's code finishes (OpenTelemetry allows one provider a process)."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from chorus.telemetry import setup_tracing

    exporter = InMemorySpanExporter()
    setup_tracing("tests", SimpleSpanProcessor(exporter))
    return exporter
