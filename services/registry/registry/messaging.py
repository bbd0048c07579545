"""The mapping from the registry's stored events to its public contracts."""

from collections.abc import Mapping
from typing import Any

from chorus.contracts import registry as contracts
from chorus.store import RecordedEvent


def to_public(event: RecordedEvent) -> tuple[str, Mapping[str, Any]] | None:
    """Zero or one public event per stored event; personal data is left behind here."""
    contract = PUBLIC.get(event.event_type)
    if contract is None:
        return None
    return contract.event_type(), contract.model_validate(event.data).model_dump(mode="json")


PUBLIC: dict[str, type[contracts.Contract]] = {
    "NetworkCreated": contracts.NetworkCreated,
    "OrganisationJoined": contracts.OrganisationJoined,
}
