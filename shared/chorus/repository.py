"""Loading and saving aggregates through the event store.

Stored events are the domain's dataclasses turned into JSON by pydantic; they are not the
public contracts (a service's mapping decides what, if anything, each one publishes).
"""

from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter

from chorus.domain import Aggregate, DomainEvent
from chorus.errors import NotFound
from chorus.store.database import Transaction
from chorus.store.eventstore import EventStore, NewEvent, RecordedEvent

A = TypeVar("A", bound=Aggregate)


class EventCodec:
    """Turns a service's domain events into stored JSON and back, by their stored names."""

    def __init__(self, event_types: Iterable[type[DomainEvent]]) -> None:
        self._types = {t.stored_name: t for t in event_types}
        self._adapters: dict[str, TypeAdapter[Any]] = {
            name: TypeAdapter(t) for name, t in self._types.items()
        }

    def encode(self, event: DomainEvent) -> NewEvent:
        data = self._adapters[event.stored_name].dump_python(event, mode="json")
        return NewEvent(event_type=event.stored_name, data=data)

    def decode(self, recorded: RecordedEvent) -> DomainEvent:
        event: DomainEvent = self._adapters[recorded.event_type].validate_python(recorded.data)
        return event


class Repository(Generic[A]):
    """Gets and saves one kind of aggregate; saving appends with the version it was read at."""

    def __init__(self, store: EventStore, codec: EventCodec, aggregate: type[A]) -> None:
        self.store = store
        self.codec = codec
        self.aggregate = aggregate

    async def get(self, tx: Transaction, aggregate_id: str) -> A:
        history = await self.store.read_stream(tx, aggregate_id)
        if not history or history[0].stream_type != self.aggregate.stream_type:
            raise NotFound(f"{self.aggregate.stream_type} {aggregate_id} does not exist")
        return self.aggregate.rebuild(aggregate_id, [self.codec.decode(e) for e in history])

    async def save(self, tx: Transaction, aggregate: A) -> list[RecordedEvent]:
        """Append what the aggregate recorded; nothing recorded, nothing written."""
        if not aggregate.pending:
            return []
        new = [self.codec.encode(e) for e in aggregate.pending]
        recorded = await self.store.append(
            tx, aggregate.id, aggregate.stream_type, aggregate.version, new)
        aggregate.version += len(new)
        aggregate.pending.clear()
        return recorded
