"""Helpers for a service's mapping from stored events to public contracts.

A service lists, per stored event name, the contract it becomes and a function picking the
facts it publishes; `to_public` turns that table into the store's `PublicMapping`. Naming
each fact keeps anything private from reaching the bus by accident.
"""

from collections.abc import Callable, Mapping
from typing import Any

from chorus.contracts import Contract
from chorus.store.eventstore import PublicMapping, RecordedEvent

Data = Mapping[str, Any]
Facts = Callable[[Data], dict[str, Any]]
Mappings = Mapping[str, tuple[type[Contract], Facts]]


def picked(data: Data, *names: str) -> dict[str, Any]:
    """Just these facts of a stored event's data."""
    return {name: data[name] for name in names}


def to_public(mappings: Mappings) -> PublicMapping:
    """Zero or one public event per stored event: stored names not listed publish nothing."""

    def mapped(event: RecordedEvent) -> tuple[str, Mapping[str, Any]] | None:
        mapping = mappings.get(event.event_type)
        if mapping is None:
            return None
        contract, facts = mapping
        return contract.event_type(), contract.model_validate(facts(event.data)).model_dump(
            mode="json")

    return mapped
