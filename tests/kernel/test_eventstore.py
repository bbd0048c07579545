"""The event store, the same suite on SQLite and PostgreSQL."""

import asyncio

import pytest
from sqlalchemy import func, select

from chorus.errors import ConcurrencyError
from chorus.migrations import upgrade
from chorus.store import Database
from chorus.store.schema import events, outbox
from tests.kernel.support import counted, tally_store


async def test_append_then_read_the_stream_in_order(database: Database) -> None:
    store = tally_store(database)
    async with database.transaction() as tx:
        await store.append(tx, "t-1", "tally", 0, [counted(1), counted(2)])
    async with database.transaction() as tx:
        await store.append(tx, "t-1", "tally", 2, [counted(3)])
        history = await store.read_stream(tx, "t-1")
    assert [e.version for e in history] == [1, 2, 3]
    assert [e.data["n"] for e in history] == [1, 2, 3]


async def test_two_appends_at_the_same_expected_version_exactly_one_wins(
    database: Database,
) -> None:
    store = tally_store(database)
    async with database.transaction() as tx:
        await store.append(tx, "t-1", "tally", 0, [counted(1)])

    async def append(n: int) -> str:
        try:
            async with database.transaction() as tx:
                await store.append(tx, "t-1", "tally", 1, [counted(n)])
                await asyncio.sleep(0.05)  # hold the transaction open so the two overlap
            return "won"
        except ConcurrencyError:
            return "lost"

    outcomes = await asyncio.gather(append(2), append(3))
    assert sorted(outcomes) == ["lost", "won"]
    async with database.transaction() as tx:
        assert [e.version for e in await store.read_stream(tx, "t-1")] == [1, 2]


async def test_a_stale_or_unreached_version_is_refused_naming_the_stream(
    database: Database,
) -> None:
    store = tally_store(database)
    async with database.transaction() as tx:
        await store.append(tx, "t-9", "tally", 0, [counted(1)])
    with pytest.raises(ConcurrencyError, match="t-9 has moved on, not at the expected version 0"):
        async with database.transaction() as tx:
            await store.append(tx, "t-9", "tally", 0, [counted(2)])
    with pytest.raises(ConcurrencyError, match="t-9 is at version 1, not at the expected v"):
        async with database.transaction() as tx:
            await store.append(tx, "t-9", "tally", 5, [counted(2)])
    async with database.transaction() as tx:
        assert [e.version for e in await store.read_stream(tx, "t-9")] == [1]


async def test_events_and_outbox_rows_commit_together_or_not_at_all(database: Database) -> None:
    store = tally_store(database)
    with pytest.raises(RuntimeError):
        async with database.transaction() as tx:
            await store.append(tx, "t-1", "tally", 0, [counted(1)])
            raise RuntimeError("the command failed after appending")
    async with database.transaction() as tx:
        await store.append(tx, "t-2", "tally", 0, [counted(1), counted(2)])
    async with database.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(events))).scalar() == 2
        assert (await conn.execute(select(func.count()).select_from(outbox))).scalar() == 2


async def test_only_events_with_a_public_contract_reach_the_outbox(database: Database) -> None:
    from chorus.store import NewEvent

    store = tally_store(database)
    async with database.transaction() as tx:
        await store.append(tx, "t-1", "tally", 0, [NewEvent("Private", {"secret": "x"}),
                                                   counted(1)])
    async with database.connect() as conn:
        rows = (await conn.execute(select(outbox))).mappings().all()
    assert len(rows) == 1
    assert rows[0]["headers"]["ce_type"] == "chorus.tally.Counted.v1"
    assert rows[0]["headers"]["ce_sequence"] == "2"
    assert b"secret" not in rows[0]["value"]


async def test_read_all_follows_the_global_position(database: Database) -> None:
    store = tally_store(database)
    for stream in ("a", "b", "c"):
        async with database.transaction() as tx:
            await store.append(tx, stream, "tally", 0, [counted(1), counted(2)])
    async with database.transaction() as tx:
        everything = await store.read_all(tx, 0)
        after_three = await store.read_all(tx, everything[2].position)
    assert [e.stream_id for e in everything] == ["a", "a", "b", "b", "c", "c"]
    assert [e.position for e in everything] == sorted(e.position for e in everything)
    assert after_three == everything[3:]


@pytest.mark.postgres
async def test_a_reader_following_positions_never_skips_an_append_that_commits_late(
    postgres_url: str,
) -> None:
    """An append that began first but commits last must still come after the reader's
    position: positions are given in commit order, not in the order rows were inserted."""
    db = Database(postgres_url)
    await upgrade(db, [])
    store = tally_store(db)
    try:
        slow_appended, let_slow_commit = asyncio.Event(), asyncio.Event()

        async def slow() -> None:
            async with db.transaction() as tx:
                await store.append(tx, "slow", "tally", 0, [counted(1), counted(2)])
                slow_appended.set()
                await let_slow_commit.wait()

        async def quick() -> None:
            async with db.transaction() as tx:
                await store.append(tx, "quick", "tally", 0, [counted(1)])

        slow_task = asyncio.create_task(slow())
        await slow_appended.wait()
        quick_task = asyncio.create_task(quick())
        await asyncio.wait([quick_task], timeout=1)  # it may commit now, or wait its turn
        async with db.transaction() as tx:
            seen = await store.read_all(tx, 0)
        position = seen[-1].position if seen else 0
        let_slow_commit.set()
        await asyncio.gather(slow_task, quick_task)
        async with db.transaction() as tx:
            seen += await store.read_all(tx, position)
        assert sorted((e.stream_id, e.version) for e in seen) == [
            ("quick", 1), ("slow", 1), ("slow", 2)]
        assert [e.position for e in seen] == sorted(e.position for e in seen)
    finally:
        await db.dispose()
