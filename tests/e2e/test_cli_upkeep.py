"""`chorus migrate` and `chorus projections rebuild`, as an operator runs them."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import delete, func, select

from chorus.app import create_app
from chorus.settings import load_settings
from chorus.store import Database
from registry.application import CreateNetwork
from registry.bootstrap import service as registry
from registry.projections import networks


def chorus(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chorus.cli", *args], capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "CHORUS_DATA_DIR": str(data_dir)})


async def test_migrate_then_rebuild_a_damaged_read_model(tmp_path: Path) -> None:
    migrated = await asyncio.to_thread(chorus, "migrate", "registry", data_dir=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert "newest schema" in migrated.stderr

    settings = load_settings(data_dir=tmp_path, poll_interval=0.05)
    app = create_app(registry, settings)
    async with app.router.lifespan_context(app):
        for n in range(5):
            await app.state.service.directory.create_network(CreateNetwork(f"Network {n}"))
    db = Database(settings.database_url_for("registry"))
    async with db.transaction() as tx:  # someone damages the read model
        await tx.conn.execute(delete(networks))

    rebuilt = await asyncio.to_thread(chorus, "projections", "rebuild", "registry", "directory",
                                      data_dir=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "rebuilding directory" in rebuilt.stderr
    async with db.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(networks))).scalar() == 5
    await db.dispose()


async def test_rebuilding_an_unknown_projection_names_it(tmp_path: Path) -> None:
    result = await asyncio.to_thread(chorus, "projections", "rebuild", "registry", "nothing",
                                     data_dir=tmp_path)
    assert result.returncode == 2
    assert "no projection called 'nothing'" in result.stderr
