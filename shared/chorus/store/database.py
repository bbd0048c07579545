"""One service's database: an async SQLAlchemy engine and transactions that say when they commit.

The same code runs on SQLite (the embedded default) and PostgreSQL (production). The
differences live here: SQLite gets WAL and `BEGIN IMMEDIATE` so writers queue instead of
failing; PostgreSQL gets LISTEN/NOTIFY so another process's relay wakes on commit.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

CONNECT_SECONDS = 5
_AWAY = (OSError, OperationalError, InterfaceError, PoolTimeout)


def database_away(error: BaseException) -> bool:
    """Whether an error means the database could not be reached, the connection was lost, or
    no connection came free in time (not that a statement was wrong): worth trying again."""
    if isinstance(error, _AWAY):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


class Transaction:
    """An open database transaction, with callbacks to run once it has committed."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self._after_commit: list[tuple[Callable[..., object], tuple[object, ...]]] = []

    def after_commit(self, callback: Callable[..., object], *args: object) -> None:
        self._after_commit.append((callback, args))

    def _committed(self) -> None:
        for callback, args in self._after_commit:
            callback(*args)


class Database:
    """The engine for one service's store, built in the composition root, never at import."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = make_url(url)
        self.is_postgres = self.url.get_backend_name() == "postgresql"
        self._own_backends: set[int] = set()  # PostgreSQL server pids of this pool's connections
        self.engine: AsyncEngine = self._create_engine(pool_size)

    def _create_engine(self, pool_size: int) -> AsyncEngine:
        if self.is_postgres:
            # A server that does not answer fails a request in seconds rather than hanging
            # it. Connections are not pinged before each use (a round trip per transaction):
            # the first one found dead after an outage fails its request with a 503 and has
            # SQLAlchemy drop every pooled connection made before it, so the next ones
            # connect afresh.
            engine = create_async_engine(self.url, pool_size=pool_size, max_overflow=pool_size,
                                         pool_timeout=CONNECT_SECONDS,
                                         connect_args={"timeout": CONNECT_SECONDS})
            event.listen(engine.sync_engine, "connect", self._remember_backend)
            event.listen(engine.sync_engine, "close", self._forget_backend)
            return engine
        if self.url.database and self.url.database != ":memory:":
            Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(self.url, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        event.listen(engine.sync_engine, "begin", _begin)
        return engine

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Open a writing transaction; it commits when the block ends without an error."""
        async with self.engine.connect() as conn:
            writer = await conn.execution_options(chorus_writes=True)
            async with writer.begin():
                tx = Transaction(writer)
                yield tx
        tx._committed()

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Transaction]:
        """A reading transaction: one consistent view that never queues behind writers."""
        async with self.engine.connect() as conn, conn.begin():
            yield Transaction(conn)

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads that need no transaction of their own."""
        async with self.engine.connect() as conn:
            yield conn

    async def forget_old_pages(self) -> None:
        """Fold SQLite's write-ahead log into the file and empty it, so rows deleted with
        secure_delete (a shredded key) survive in no file. PostgreSQL needs no such step."""
        if self.is_postgres:
            return
        async with self.engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    @asynccontextmanager
    async def listen(self, channel: str, wake: asyncio.Event) -> AsyncIterator[None]:
        """Set `wake` whenever another process notifies `channel` (PostgreSQL only)."""
        if not self.is_postgres:
            yield
            return
        async with self.engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None

            def on_notify(_conn: Any, backend: int, *_: Any) -> None:
                # This process's own commits have woken it already (after_commit).
                if backend not in self._own_backends:
                    wake.set()

            await raw.add_listener(channel, on_notify)
            try:
                yield
            finally:
                with suppress(Exception):  # the connection may already be gone
                    await raw.remove_listener(channel, on_notify)

    async def dispose(self) -> None:
        await self.engine.dispose()

    def _remember_backend(self, dbapi_connection: Any, _record: Any) -> None:
        self._own_backends.add(dbapi_connection.driver_connection.get_server_pid())

    def _forget_backend(self, dbapi_connection: Any, _record: Any) -> None:
        self._own_backends.discard(dbapi_connection.driver_connection.get_server_pid())


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling would defer BEGIN; we issue it ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin(conn: Any) -> None:
    # A writing transaction takes the write lock up front: a deferred one that reads then
    # writes can fail with SQLITE_BUSY instead of waiting its turn. Reads stay deferred,
    # so they never queue behind writers (WAL lets them read alongside).
    writes = conn.get_execution_options().get("chorus_writes", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
