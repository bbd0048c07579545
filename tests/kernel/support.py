"""A tiny service used to test the kernel: tallies, whose public events a consumer records."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from chorus.envelope import Envelope
from chorus.store import Database, EventStore, NewEvent, RecordedEvent
from chorus.store.database import Transaction

TOPIC = "chorus.tally.events"

metadata = MetaData()
applied = Table(
    "applied", metadata,
    Column("row", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("sequence", Integer, nullable=False),
)


def to_public(event: RecordedEvent) -> tuple[str, Mapping[str, Any]] | None:
    if event.event_type == "Private":
        return None
    return "chorus.tally.Counted.v1", {"n": event.data["n"]}


def tally_store(db: Database, on_commit: Any = lambda: None, topic: str = TOPIC) -> EventStore:
    return EventStore(db, service="tally", topic=topic, to_public=to_public,
                      on_commit=on_commit)


def counted(n: int) -> NewEvent:
    return NewEvent("Counted", {"n": n})


async def create_effect_table(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)


async def record_effect(tx: Transaction, envelope: Envelope) -> None:
    """The consumer's effect: one row per event applied, in the order applied."""
    if envelope.data.get("poison"):
        raise ValueError(f"cannot count {envelope.data!r}")
    await tx.conn.execute(insert(applied).values(
        event_id=envelope.id, subject=envelope.subject, sequence=envelope.sequence or 0))
