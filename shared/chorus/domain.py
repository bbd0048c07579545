"""Base types for a service's pure domain: events that happened and the aggregates that decide.

Pure Python: a domain module imports the standard library and this, nothing else.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Self


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Something that happened, named in the past tense. Subclasses are frozen dataclasses."""

    stored_name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.stored_name = cls.__name__


class Aggregate(ABC):
    """A consistency boundary: it checks the rules, records events, and applies them."""

    stream_type: ClassVar[str] = ""

    def __init__(self, aggregate_id: str) -> None:
        self.id = aggregate_id
        self.version = 0
        self.pending: list[DomainEvent] = []

    def record(self, event: DomainEvent) -> None:
        """Apply a new event now and keep it to be stored."""
        self.apply(event)
        self.pending.append(event)

    @abstractmethod
    def apply(self, event: DomainEvent) -> None:
        """Change state for one event; subclasses dispatch on the event's type."""

    @classmethod
    def rebuild(cls, aggregate_id: str, history: list[DomainEvent]) -> Self:
        aggregate = cls.__new__(cls)
        Aggregate.__init__(aggregate, aggregate_id)
        for event in history:
            aggregate.apply(event)
            aggregate.version += 1
        return aggregate
