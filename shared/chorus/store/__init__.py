"""Persistence: the database, the event store, and the kernel's tables."""

from chorus.store.database import Database
from chorus.store.eventstore import EventStore, NewEvent, RecordedEvent

__all__ = ["Database", "EventStore", "NewEvent", "RecordedEvent"]
