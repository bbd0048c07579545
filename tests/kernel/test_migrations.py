"""The migrations build exactly the tables the code queries, on SQLite and PostgreSQL."""

import os
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from chorus.migrations import upgrade
from chorus.service import ServiceSpec
from chorus.store import Database
from chorus.store.schema import metadata as kernel_metadata
from feedback import projections as feedback_projections
from feedback import tables as feedback_tables
from feedback.bootstrap import service as feedback
from notifications.bootstrap import service as notifications
from notifications.people import tables as people_tables
from notifications.webhooks import tables as webhook_tables
from opportunities import projections as opportunities_projections
from opportunities import tables as opportunities_tables
from opportunities.bootstrap import service as opportunities
from registry.bootstrap import service as registry
from registry.projections import metadata as registry_metadata
from registry.tables import metadata as registry_tables

SERVICES = {
    "registry": (registry, (registry_metadata, registry_tables)),
    "opportunities": (opportunities, (opportunities_projections.metadata,
                                      opportunities_tables.metadata)),
    "feedback": (feedback, (feedback_projections.metadata, feedback_tables.metadata)),
    "notifications": (notifications, (webhook_tables.metadata, people_tables.metadata)),
}


def differences(connection: Connection, *metadatas: MetaData) -> list[object]:
    combined = MetaData()
    for metadata in metadatas:
        for table in metadata.tables.values():
            table.to_metadata(combined)
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [d for d in compare_metadata(context, combined)
            if not (d[0] == "remove_table" and d[1].name == "alembic_version")]


@pytest.mark.parametrize("name", SERVICES)
async def test_each_services_migrations_match_the_tables_in_code(
    database_url: str, name: str,
) -> None:
    spec, metadatas = SERVICES[name]
    assert isinstance(spec, ServiceSpec)
    db = Database(database_url)
    try:
        await upgrade(db, [spec.migrations])
        async with db.engine.connect() as conn:
            found = await conn.run_sync(differences, kernel_metadata, *metadatas)
        assert found == []
    finally:
        await db.dispose()


@pytest.mark.postgres
def test_processes_migrating_one_database_at_once_all_succeed(postgres_url: str) -> None:
    """Replicas (or a migration job beside a rollout) starting together: one migrates while
    the others wait on PostgreSQL's advisory lock, then find nothing left to do."""
    env = {**os.environ, "CHORUS_DATABASE_URL": postgres_url, "CHORUS_LOG_LEVEL": "WARNING"}
    children = [subprocess.Popen([sys.executable, "-m", "chorus.cli", "migrate", "notifications"],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                for _ in range(3)]
    outputs = [child.communicate(timeout=120)[0].decode() for child in children]
    assert [child.returncode for child in children] == [0, 0, 0], outputs
