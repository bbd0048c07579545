"""The key ring: per-person encryption and crypto-shredding, on SQLite and PostgreSQL."""

import asyncio
import base64
import json
import os
import stat
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import MetaData, func, select, text
from sqlalchemy.engine import Connection

from chorus.crypto import KEY_FILE, KeyRing, MasterKey, TamperedToken
from chorus.errors import SettingsError
from chorus.migrations import upgrade
from chorus.settings import load_settings
from chorus.store import Database, EventStore, NewEvent
from chorus.store.schema import data_keys

EMAIL = "ada.lovelace@example.org"


def key_ring() -> KeyRing:
    return KeyRing(MasterKey(os.urandom(32)))


async def test_a_value_round_trips(database: Database) -> None:
    keys = key_ring()
    async with database.transaction() as tx:
        token = await keys.encrypt(tx.conn, "p-1", EMAIL, purpose="email")
    async with database.connect() as conn:
        assert await keys.decrypt(conn, "p-1", token, purpose="email") == EMAIL
    assert token.startswith("enc:v1:")
    assert EMAIL not in token


async def test_several_fields_of_one_person_at_once(database: Database) -> None:
    keys = key_ring()
    async with database.transaction() as tx:
        tokens = await keys.encrypt_many(tx.conn, "p-1", {"email": EMAIL, "name": "Ada"})
    async with database.connect() as conn:
        values = await keys.decrypt_many(conn, "p-1", {**tokens, "phone": None})
    assert values == {"email": EMAIL, "name": "Ada", "phone": None}


async def test_each_person_gets_their_own_key(database: Database) -> None:
    keys = key_ring()
    async with database.transaction() as tx:
        first = await keys.encrypt(tx.conn, "p-1", EMAIL, purpose="email")
        await keys.encrypt(tx.conn, "p-1", "Ada", purpose="name")
        await keys.encrypt(tx.conn, "p-2", EMAIL, purpose="email")
        key_1 = await keys._stored_key(tx.conn, "p-1")
        key_2 = await keys._stored_key(tx.conn, "p-2")
        count = await tx.conn.scalar(select(func.count()).select_from(data_keys))
    assert count == 2
    assert key_1 is not None and key_2 is not None and key_1 != key_2
    assert first != await encrypt_once(database, keys, "p-1", EMAIL)  # fresh nonce each time


async def test_a_token_opens_only_for_its_person_and_purpose(database: Database) -> None:
    keys = key_ring()
    async with database.transaction() as tx:
        token = await keys.encrypt(tx.conn, "p-1", EMAIL, purpose="email")
        await keys.encrypt(tx.conn, "p-2", "someone else", purpose="email")
    async with database.connect() as conn:
        with pytest.raises(TamperedToken):
            await keys.decrypt(conn, "p-2", token, purpose="email")
        with pytest.raises(TamperedToken):
            await keys.decrypt(conn, "p-1", token, purpose="phone")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1],
        lambda token: token[:20],
        lambda token: token.replace("enc:v1:", "enc:v2:"),
        lambda token: token + "*",
    ],
    ids=["altered", "truncated", "unknown version", "not base64url"],
)
async def test_a_tampered_token_raises(database: Database, tamper: Callable[[str], str]) -> None:
    keys = key_ring()
    token = await encrypt_once(database, keys, "p-1", EMAIL)
    async with database.connect() as conn:
        with pytest.raises(TamperedToken):
            await keys.decrypt(conn, "p-1", tamper(token), purpose="email")


async def test_after_shredding_nothing_in_the_database_reveals_the_value(
    database: Database,
) -> None:
    keys = key_ring()
    store = EventStore(database, service="registry", topic="t", to_public=lambda _: None)
    async with database.transaction() as tx:
        token = await keys.encrypt(tx.conn, "p-1", EMAIL, purpose="email")
        await store.append(tx, "p-1", "participant", 0, [NewEvent("Joined", {"email": token})])
        data_key = await keys._stored_key(tx.conn, "p-1")
        wrapped = await tx.conn.scalar(select(data_keys.c.wrapped_key))
    assert data_key is not None and isinstance(wrapped, bytes)

    async with database.transaction() as tx:
        assert await keys.shred(tx.conn, "p-1") is True
        assert await keys.shred(tx.conn, "p-1") is False

    async with database.connect() as conn:
        assert await keys.decrypt(conn, "p-1", token, purpose="email") is None
        assert await keys.decrypt_many(conn, "p-1", {"email": token}) == {"email": None}
        stored = await conn.run_sync(every_stored_value)
    assert any(token.encode() in value for value in stored)  # the scan reads the events
    for needle in [EMAIL.encode(), wrapped, *spellings(data_key)]:
        assert not any(needle in value for value in stored)


async def test_shredding_overwrites_the_key_in_the_sqlite_file(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    await upgrade(db, [])
    keys = key_ring()
    await encrypt_once(db, keys, "p-1", EMAIL)
    async with db.transaction() as tx:
        wrapped = await tx.conn.scalar(select(data_keys.c.wrapped_key))
        await tx.conn.execute(text("PRAGMA secure_delete = 0"))  # as some builds default
        await keys.shred(tx.conn, "p-1")
        assert await tx.conn.scalar(text("PRAGMA secure_delete")) == 0
    await db.dispose()  # the last connection to close checkpoints the WAL into the file
    assert isinstance(wrapped, bytes)
    assert wrapped not in (tmp_path / "store.db").read_bytes()


async def test_concurrent_first_writes_for_one_person_share_one_key(
    database: Database,
) -> None:
    keys = key_ring()
    async with database.transaction() as tx:
        first = await keys.encrypt(tx.conn, "p-1", "one", purpose="email")
        second = asyncio.create_task(encrypt_once(database, keys, "p-1", "two"))
        await asyncio.sleep(0.3)
        assert not second.done()  # it waits on the first transaction's uncommitted key
    token = await asyncio.wait_for(second, timeout=30)
    async with database.connect() as conn:
        count = await conn.scalar(select(func.count()).select_from(data_keys))
        assert await keys.decrypt(conn, "p-1", first, purpose="email") == "one"
        assert await keys.decrypt(conn, "p-1", token, purpose="email") == "two"
    assert count == 1


async def test_a_key_stored_under_another_master_key_is_a_settings_error(
    database: Database,
) -> None:
    token = await encrypt_once(database, key_ring(), "p-1", EMAIL)
    async with database.connect() as conn:
        with pytest.raises(SettingsError, match="CHORUS_MASTER_KEY"):
            await key_ring().decrypt(conn, "p-1", token, purpose="email")


def test_a_blind_index_is_stable_and_depends_on_the_master_key() -> None:
    master = MasterKey(os.urandom(32))
    index = KeyRing(master).blind_index(EMAIL, purpose="email")
    assert index == KeyRing(master).blind_index(EMAIL, purpose="email")
    assert len(index) == 64 and int(index, 16) >= 0
    assert index != KeyRing(master).blind_index("grace@example.org", purpose="email")
    assert index != KeyRing(master).blind_index(EMAIL, purpose="recovery email")
    assert index != key_ring().blind_index(EMAIL, purpose="email")


def test_in_development_the_master_key_file_is_created_private_and_reused(
    tmp_path: Path,
) -> None:
    settings = load_settings(environment="development", data_dir=tmp_path, master_key=None)
    first = KeyRing(MasterKey.from_settings(settings))
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = KeyRing(MasterKey.from_settings(settings))
    assert again.blind_index(EMAIL, purpose="email") == first.blind_index(EMAIL, purpose="email")
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]  # no draft left behind


def test_processes_starting_together_agree_on_one_master_key_file(tmp_path: Path) -> None:
    settings = load_settings(environment="development", data_dir=tmp_path, master_key=None)

    def index() -> str:
        return KeyRing(MasterKey.from_settings(settings)).blind_index(EMAIL, purpose="email")

    with ThreadPoolExecutor(max_workers=8) as pool:
        indexes = set(pool.map(lambda _: index(), range(16)))
    assert len(indexes) == 1


def test_the_master_key_setting_is_used_when_given(tmp_path: Path) -> None:
    secret = os.urandom(32)
    encoded = base64.b64encode(secret).decode()
    settings = load_settings(data_dir=tmp_path, master_key=encoded)
    from_setting = KeyRing(MasterKey.from_settings(settings))
    direct = KeyRing(MasterKey(secret))
    assert from_setting.blind_index(EMAIL, purpose="e") == direct.blind_index(EMAIL, purpose="e")
    assert not (tmp_path / KEY_FILE).exists()
    assert encoded not in repr(settings)
    assert repr(MasterKey(secret)) == "MasterKey(...)"


def test_a_malformed_master_key_is_a_settings_error(tmp_path: Path) -> None:
    short = base64.b64encode(os.urandom(16)).decode()
    for value in (short, "not base64!", "ключ"):
        settings = load_settings(data_dir=tmp_path, master_key=value)
        with pytest.raises(SettingsError, match="CHORUS_MASTER_KEY"):
            MasterKey.from_settings(settings)


def test_a_corrupt_master_key_file_is_a_settings_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_bytes(b"\xff\xfe not a key")
    settings = load_settings(environment="development", data_dir=tmp_path, master_key=None)
    with pytest.raises(SettingsError, match=KEY_FILE):
        MasterKey.from_settings(settings)


def test_production_without_a_master_key_is_a_settings_error(tmp_path: Path) -> None:
    settings = load_settings(
        environment="production",
        transport="kafka",
        kafka_bootstrap="kafka:9092",
        database_url="postgresql://db/{service}",
        data_dir=tmp_path,
        master_key=None,
    )
    with pytest.raises(SettingsError, match="CHORUS_MASTER_KEY"):
        MasterKey.from_settings(settings)
    assert not (tmp_path / KEY_FILE).exists()


async def encrypt_once(db: Database, keys: KeyRing, subject_id: str, value: str) -> str:
    async with db.transaction() as tx:
        return await keys.encrypt(tx.conn, subject_id, value, purpose="email")


def every_stored_value(conn: Connection) -> list[bytes]:
    """Every value of every column of every table, as bytes to search."""
    tables = MetaData()
    tables.reflect(conn)
    return [
        as_bytes(value)
        for table in tables.sorted_tables
        for row in conn.execute(select(table))
        for value in row
        if value is not None
    ]


def as_bytes(value: object) -> bytes:
    if isinstance(value, bytes | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode()
    return json.dumps(value, default=str, ensure_ascii=False).encode()


def spellings(key: bytes) -> list[bytes]:
    """The key as raw bytes and as text, however it might have been written down."""
    return [
        key,
        base64.b64encode(key),
        base64.urlsafe_b64encode(key).rstrip(b"="),
        key.hex().encode(),
        key.hex().upper().encode(),
    ]
