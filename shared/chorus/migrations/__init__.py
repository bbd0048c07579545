"""Alembic migrations: the kernel's tables on their own branch, each service's beside them.

`upgrade` brings one service's database to the newest revision of every branch (`heads`).
"""

import asyncio
from collections.abc import Sequence
from pathlib import Path
from weakref import WeakKeyDictionary

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from chorus.store.database import Database

KERNEL_VERSIONS = Path(__file__).parent / "versions"
MIGRATION_LOCK = 0x63686F7275  # "choru": the advisory lock one migrating process holds

# Alembic keeps the running migration in module-global state (`alembic.context`), so two
# services migrating at once in one process (as `chorus up` starts them) would cross wires.
_one_at_a_time: "WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]" = (
    WeakKeyDictionary())


def alembic_config(version_locations: Sequence[Path]) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    locations = [KERNEL_VERSIONS, *version_locations]
    config.set_main_option("version_locations", " ".join(str(p) for p in locations))
    config.set_main_option("path_separator", "space")
    return config


async def upgrade(db: Database, version_locations: Sequence[Path]) -> None:
    """Apply every pending migration of the kernel and the service, in one transaction."""
    config = alembic_config(version_locations)

    def run(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            # Several processes of one service may start together (replicas, a migration
            # job beside a rollout): one migrates, the others wait and then find nothing to do.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")

    lock = _one_at_a_time.setdefault(asyncio.get_running_loop(), asyncio.Lock())
    async with lock, db.engine.begin() as conn:
        await conn.run_sync(run)
