"""The catalogue of published event types, and the upcasters between their versions.

Every concrete `Contract` registers itself here when its class is defined, so a
contract cannot be published without also being guarded by the snapshot test.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # base imports this module to register; a runtime import would be circular
    from chorus.contracts.base import Contract

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns the data of one version of an event into the data of the next version."""


class UnknownEventType(KeyError):
    """No contract is registered for this event type."""

    def __str__(self) -> str:
        # KeyError would show the repr of its argument, quotes and all.
        return str(self.args[0])


class CatalogueError(ValueError):
    """Contracts or upcasters were declared inconsistently."""


class _Step(NamedTuple):
    to_type: str
    upcaster: Upcaster


_contracts: dict[str, type[Contract]] = {}
_upcasters: dict[str, _Step] = {}


def register_contract(contract: type[Contract]) -> None:
    """Add a contract to the catalogue; `Contract` calls this for every concrete subclass."""
    event_type = contract.event_type()
    if event_type in _contracts:
        existing = _contracts[event_type]
        raise CatalogueError(f"{event_type} is declared twice: {existing!r} and {contract!r}")
    _contracts[event_type] = contract


def contract_for(event_type: str) -> type[Contract]:
    """The contract class of an event type, e.g. ``chorus.registry.NetworkCreated.v1``."""
    try:
        return _contracts[event_type]
    except KeyError:
        raise UnknownEventType(f"no contract is registered for {event_type!r}") from None


def all_contracts() -> list[type[Contract]]:
    """Every registered contract, every version, ordered by event type."""
    return [_contracts[event_type] for event_type in sorted(_contracts)]


def register_upcaster(from_type: str, to_type: str) -> Callable[[Upcaster], Upcaster]:
    """Register a function that turns ``from_type`` data into the next version's data.

    Both versions must be registered contracts of the same event, one version apart:
    a chain of single steps keeps each upcaster small and lets old data of any age
    reach the newest version.
    """

    def register(upcaster: Upcaster) -> Upcaster:
        _check_step(from_type, to_type)
        _upcasters[from_type] = _Step(to_type, upcaster)
        return upcaster

    return register


def upcast(event_type: str, data: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """Apply the upcaster chain from ``event_type``; return the final type and data.

    Upcasters work on a deep copy, free to change it: the caller's data stays as it was.
    """
    current, payload = event_type, copy.deepcopy(dict(data))
    while (step := _upcasters.get(current)) is not None:
        current, payload = step.to_type, step.upcaster(payload)
    return current, payload


def parse_event(event_type: str, data: Mapping[str, Any]) -> Contract:
    """Validate event data of any published version into the newest contract."""
    newest_type, payload = upcast(event_type, data)
    contract = contract_for(newest_type)
    if contract is not _newest_version_of(contract):
        raise CatalogueError(_missing_upcaster(event_type, newest_type))
    return contract.model_validate(_known_fields(contract, payload))


def missing_upcasters() -> list[str]:
    """Every registered version whose upcaster chain stops short of the newest version."""
    problems = []
    for contract in all_contracts():
        end = _chain_end(contract.event_type())
        if end != _newest_version_of(contract).event_type():
            problems.append(_missing_upcaster(contract.event_type(), end))
    return problems


@contextmanager
def isolated_catalogue() -> Iterator[None]:
    """Forget, on exit, every contract and upcaster registered inside the block.

    For tests that declare throwaway contracts; the published catalogue is restored.
    """
    saved_contracts, saved_upcasters = dict(_contracts), dict(_upcasters)
    try:
        yield
    finally:
        _contracts.clear()
        _contracts.update(saved_contracts)
        _upcasters.clear()
        _upcasters.update(saved_upcasters)


def _check_step(from_type: str, to_type: str) -> None:
    old, new = contract_for(from_type), contract_for(to_type)
    if (old.event_service, old.event_name) != (new.event_service, new.event_name):
        raise CatalogueError(f"cannot upcast {from_type} to a different event, {to_type}")
    if new.event_version != old.event_version + 1:
        raise CatalogueError(f"upcast {from_type} one version at a time, not to {to_type}")
    if from_type in _upcasters:
        raise CatalogueError(f"{from_type} already has an upcaster")


def _chain_end(event_type: str) -> str:
    while (step := _upcasters.get(event_type)) is not None:
        event_type = step.to_type
    return event_type


def _newest_version_of(contract: type[Contract]) -> type[Contract]:
    versions = [
        other
        for other in _contracts.values()
        if (other.event_service, other.event_name) == (contract.event_service, contract.event_name)
    ]
    return max(versions, key=lambda version: version.event_version)


def _missing_upcaster(event_type: str, reached: str) -> str:
    return f"{event_type} upcasts only as far as {reached}, not to the newest version"


def _known_fields(contract: type[Contract], payload: dict[str, Any]) -> dict[str, Any]:
    # A tolerant reader: a producer that already knows a newer, compatibly extended
    # schema may send optional fields this reader has not heard of yet. Contracts
    # forbid extra fields when *constructed*, so producers still catch their typos.
    known = {field.alias or name for name, field in contract.model_fields.items()}
    return {key: value for key, value in payload.items() if key in known}
