"""The events every kernel benchmark writes, and stores set up as a service sets them up.

Each event is a registry `OrganisationJoined`: about 270 bytes of JSON data, mapped to
its public contract (validated and dumped by pydantic, as a service's `messaging.py`
does), so every append also writes an outbox row unless a case says otherwise.
"""

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from chorus.contracts.registry import OrganisationJoined
from chorus.migrations import upgrade
from chorus.store import Database, EventStore, NewEvent, RecordedEvent
from chorus.store.database import Transaction
from chorus.store.eventstore import PublicMapping

SERVICE = "bench"
TOPIC = "chorus.bench.events"
STREAM_TYPE = "Organisation"
EVENT_TYPE = "OrganisationJoined"
_NETWORK_ID = str(uuid4())


def event_data() -> dict[str, Any]:
    """One organisation's joining, as the registry stores it."""
    return {
        "organisation_id": str(uuid4()),
        "network_id": _NETWORK_ID,
        "name": "Northshire Healthwatch and Community Voices Partnership",
        "kind": "healthwatch",
        "ods_code": "RXA12",
        "joined_at": datetime.now(UTC).isoformat(),
    }


def new_events(count: int) -> list[NewEvent]:
    return [NewEvent(EVENT_TYPE, event_data()) for _ in range(count)]


def payload(data: Mapping[str, Any]) -> bytes:
    """The same data as the bytes SQLAlchemy's JSON type writes, for libraries that store
    an opaque state."""
    return json.dumps(data).encode()


def to_public(event: RecordedEvent) -> tuple[str, Mapping[str, Any]] | None:
    """Every stored event has a public contract (the common case in the registry)."""
    contract = OrganisationJoined.model_validate(event.data)
    return OrganisationJoined.event_type(), contract.model_dump(mode="json")


def nothing_public(event: RecordedEvent) -> tuple[str, Mapping[str, Any]] | None:
    """No stored event is published: the append writes no outbox row."""
    return None



async def migrated(url: str) -> Database:
    """A service database with the kernel's tables, as `chorus.migrations.upgrade` makes it."""
    db = Database(url)
    await upgrade(db, [])
    return db


def event_store(
    db: Database,
    *,
    topic: str = TOPIC,
    public: PublicMapping = to_public,
    on_commit: Callable[[], None] = lambda: None,
) -> EventStore:
    return EventStore(db, service=SERVICE, topic=topic, to_public=public, on_commit=on_commit)


async def open_store(
    url: str, *, topic: str = TOPIC, public: PublicMapping = to_public
) -> EventStore:
    """A migrated database and its event store, as a service's composition root builds them."""
    return event_store(await migrated(url), topic=topic, public=public)


async def append_stream(store: EventStore, events: Sequence[NewEvent]) -> None:
    """Start a new stream with `events`, in a transaction of its own."""
    async with store.db.transaction() as tx:
        await append_new_stream(store, tx, events)


async def append_new_stream(store: EventStore, tx: Transaction, events: Sequence[NewEvent]) -> None:
    """Start a new stream with `events` in the open transaction `tx`."""
    await store.append(tx, f"organisation-{uuid4()}", STREAM_TYPE, 0, events)
