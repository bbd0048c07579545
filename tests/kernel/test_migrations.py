"""The migrations build exactly the tables the code queries, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from chorus.migrations import upgrade
from chorus.store import Database
from chorus.store.schema import metadata as kernel_metadata
from registry.bootstrap import service as registry
from registry.projections import metadata as registry_metadata
from registry.tables import metadata as registry_tables


def differences(connection: Connection, *metadatas: MetaData) -> list[object]:
    combined = MetaData()
    for metadata in metadatas:
        for table in metadata.tables.values():
            table.to_metadata(combined)
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [d for d in compare_metadata(context, combined)
            if not (d[0] == "remove_table" and d[1].name == "alembic_version")]


async def test_kernel_and_registry_migrations_match_the_tables_in_code(
    database_url: str,
) -> None:
    db = Database(database_url)
    try:
        await upgrade(db, [registry.migrations])
        async with db.engine.connect() as conn:
            found = await conn.run_sync(differences, kernel_metadata, registry_metadata,
                                        registry_tables)
        assert found == []
    finally:
        await db.dispose()
