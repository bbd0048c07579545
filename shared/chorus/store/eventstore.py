"""The event store: append with an expected version, read a stream, read all in order.

An append writes the events and the public messages they map to (the outbox) in one
transaction. A reader following `position` never skips an event that commits late: on
PostgreSQL positions are given at commit, one transaction at a time (migration
kernel_0004), so they become visible in order; SQLite has one writer at a time.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import RowMapping, func, insert, select
from sqlalchemy.exc import IntegrityError

from chorus.envelope import Envelope, to_kafka
from chorus.errors import ConcurrencyError
from chorus.store.database import Database, Transaction
from chorus.store.schema import events, outbox
from chorus.telemetry import EVENTS_APPENDED, current_trace_headers

EVENTS_CHANNEL = "chorus_events"


@dataclass(frozen=True)
class NewEvent:
    """An event about to be stored: its stored type name and JSON-ready data."""

    event_type: str
    data: Mapping[str, Any]
    event_id: UUID = field(default_factory=uuid4)


@dataclass(frozen=True)
class RecordedEvent:
    """An event as stored, with its place in its stream and in the whole store."""

    position: int  # on PostgreSQL, provisional (negative) until the append commits
    event_id: UUID
    stream_id: str
    stream_type: str
    version: int
    event_type: str
    data: Mapping[str, Any]
    metadata: Mapping[str, Any]
    recorded_at: datetime


PublicMapping = Callable[[RecordedEvent], tuple[str, Mapping[str, Any]] | None]
"""Turns a stored event into zero or one public event: (CloudEvents type, contract data)."""


class EventStore:
    """One service's append-only store and its outbox."""

    def __init__(
        self,
        db: Database,
        *,
        service: str,
        topic: str,
        to_public: PublicMapping,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.service = service
        self.topic = topic
        self._to_public = to_public
        self._on_commit = on_commit

    async def append(
        self,
        tx: Transaction,
        stream_id: str,
        stream_type: str,
        expected_version: int,
        new_events: Sequence[NewEvent],
    ) -> list[RecordedEvent]:
        """Append after `expected_version`; raise ConcurrencyError if the stream moved on.

        A stream that moved on already holds `(stream, expected_version + 1)`, so the unique
        key refuses the insert: no read is needed for that. A read is needed only to refuse
        an expected version the stream never reached (which would leave a gap).
        """
        if not new_events:
            return []
        if expected_version > 0:
            actual = await self.stream_version(tx, stream_id)
            if actual != expected_version:
                raise ConcurrencyError(stream_id, expected_version, actual)
        recorded = self._record(stream_id, stream_type, expected_version, new_events)
        try:
            recorded = await self._insert(tx, recorded)
        except IntegrityError as error:
            raise ConcurrencyError(stream_id, expected_version, None) from error
        await self._enqueue_public(tx, recorded)
        tx.after_commit(self._on_commit)  # PostgreSQL's own trigger notifies other processes
        tx.after_commit(EVENTS_APPENDED.labels(self.service).inc, len(recorded))
        return recorded

    async def stream_version(self, tx: Transaction, stream_id: str) -> int:
        query = select(func.coalesce(func.max(events.c.version), 0)).where(
            events.c.stream_id == stream_id
        )
        return int((await tx.conn.execute(query)).scalar_one())

    def _record(
        self, stream_id: str, stream_type: str, after: int, new_events: Sequence[NewEvent]
    ) -> list[RecordedEvent]:
        now = datetime.now(UTC)
        metadata = current_trace_headers()
        return [
            RecordedEvent(0, e.event_id, stream_id, stream_type, after + i, e.event_type,
                          e.data, metadata, now)
            for i, e in enumerate(new_events, start=1)
        ]

    async def _insert(self, tx: Transaction, recorded: list[RecordedEvent]) -> list[RecordedEvent]:
        rows = [
            {"event_id": r.event_id, "stream_id": r.stream_id, "stream_type": r.stream_type,
             "version": r.version, "event_type": r.event_type, "data": r.data,
             "metadata": r.metadata, "recorded_at": r.recorded_at}
            for r in recorded
        ]
        # Unordered RETURNING lets SQLite insert all rows in one statement; match by version.
        result = await tx.conn.execute(
            insert(events).returning(events.c.version, events.c.position), rows)
        positions: dict[int, int] = {row.version: row.position for row in result}
        return [replace(r, position=positions[r.version]) for r in recorded]

    async def _enqueue_public(self, tx: Transaction, recorded: list[RecordedEvent]) -> None:
        rows = [row for r in recorded if (row := self._outbox_row(r)) is not None]
        if not rows:
            return
        await tx.conn.execute(insert(outbox).values(rows))  # one statement for all rows

    def _outbox_row(self, event: RecordedEvent) -> dict[str, Any] | None:
        public = self._to_public(event)
        if public is None:
            return None
        event_type, data = public
        record = to_kafka(Envelope(
            id=str(event.event_id), type=event_type, source=f"/chorus/{self.service}",
            subject=event.stream_id, data=data, time=event.recorded_at,
            sequence=event.version, traceparent=event.metadata.get("traceparent"),
            tracestate=event.metadata.get("tracestate"),
        ))
        return {"event_id": event.event_id, "topic": self.topic, "key": event.stream_id,
                "headers": {k: v.decode() for k, v in record.headers},
                "value": record.value, "created_at": event.recorded_at}

    async def read_stream(
        self, tx: Transaction, stream_id: str, after_version: int = 0
    ) -> list[RecordedEvent]:
        query = (select(events).where(events.c.stream_id == stream_id)
                 .where(events.c.version > after_version).order_by(events.c.version))
        return [_to_recorded(row) for row in (await tx.conn.execute(query)).mappings()]

    async def read_all(
        self, tx: Transaction, after_position: int, limit: int = 1000
    ) -> list[RecordedEvent]:
        query = (select(events).where(events.c.position > after_position)
                 .order_by(events.c.position).limit(limit))
        return [_to_recorded(row) for row in (await tx.conn.execute(query)).mappings()]

    async def last_position(self, tx: Transaction) -> int:
        query = select(func.coalesce(func.max(events.c.position), 0))
        return int((await tx.conn.execute(query)).scalar_one())


def _to_recorded(row: RowMapping) -> RecordedEvent:
    return RecordedEvent(
        position=row["position"], event_id=row["event_id"], stream_id=row["stream_id"],
        stream_type=row["stream_type"], version=row["version"],
        event_type=row["event_type"], data=row["data"], metadata=row["metadata"],
        recorded_at=row["recorded_at"],
    )
