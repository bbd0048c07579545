"""Statements that differ between SQLite and PostgreSQL."""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def insert_new(conn: AsyncConnection, table: Table, keys: Sequence[str]) -> Any:
    """An INSERT that skips rows whose keys are already there."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(
        index_elements=[table.c[k] for k in keys])


def upsert(conn: AsyncConnection, table: Table, row: Mapping[str, Any],
           keys: Sequence[str]) -> Any:
    """An INSERT of one row that updates the row already there under the same keys."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(dict(row))
    changes = {name: statement.excluded[name] for name in row if name not in keys}
    return statement.on_conflict_do_update(index_elements=[table.c[k] for k in keys],
                                           set_=changes)


def locking(query: Select[Any], conn: AsyncConnection) -> Select[Any]:
    """The query, locking the rows it reads until the transaction ends (PostgreSQL; SQLite's
    writing transactions hold the whole database already)."""
    return query.with_for_update() if conn.dialect.name == "postgresql" else query
