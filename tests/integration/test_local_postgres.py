"""A real PostgreSQL server: clients connect, and committed rows survive a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from chorus.devservers.postgres import LocalPostgres

pytestmark = pytest.mark.postgres


async def test_a_fresh_database_answers_queries(postgres_url: str) -> None:
    engine = create_async_engine(postgres_url)
    try:
        async with engine.connect() as conn:
            assert await conn.scalar(text("select 1")) == 1
            tables = await conn.scalar(
                text("select count(*) from pg_tables where schemaname = 'public'")
            )
        assert tables == 0
    finally:
        await engine.dispose()


async def test_a_committed_row_survives_a_killed_server(postgres_workdir: Path) -> None:
    with LocalPostgres.start(postgres_workdir) as server:
        url = server.create_database("crash")
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.execute(text("create table notes (id int primary key, body text)"))
                await conn.execute(text("insert into notes values (1, 'kept')"))
            await engine.dispose()  # pooled connections would not survive the crash

            server.kill()
            assert not server.is_running()
            server.start_again()

            async with engine.connect() as conn:
                rows = (await conn.execute(text("select id, body from notes"))).all()
            assert [tuple(row) for row in rows] == [(1, "kept")]
        finally:
            await engine.dispose()


async def test_the_server_keeps_durable_defaults(postgres_workdir: Path) -> None:
    # Benchmarks compare against this server, so it must not trade durability for speed.
    with LocalPostgres.start(postgres_workdir) as server:
        assert server.create_database("settings") == server.create_database("settings")
        engine = create_async_engine(server.url("settings"))
        try:
            async with engine.connect() as conn:
                settings = (await conn.execute(text(
                    "select name, setting from pg_settings where name in"
                    " ('fsync', 'synchronous_commit', 'full_page_writes', 'max_connections')"
                ))).all()  # fmt: skip
        finally:
            await engine.dispose()
        server.drop_database("settings")
    assert dict(settings) == {
        "fsync": "on",
        "synchronous_commit": "on",
        "full_page_writes": "on",
        "max_connections": "200",
    }
