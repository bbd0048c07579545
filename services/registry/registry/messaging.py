"""The mapping from the registry's stored events to its public contracts.

This is where personal data is left behind: each mapping names the facts it publishes,
so a sealed name, an e-mail address, a full postcode, the staff member who helped, a
reduced payment amount or an equality answer can never slip onto the bus by accident.
"""

from collections.abc import Callable
from typing import Any

from chorus.contracts import Contract
from chorus.contracts import registry as contracts
from chorus.publishing import Data, picked
from chorus.publishing import to_public as public_mapping

PROFILE_FACTS = ("roles", "topics", "methods", "kinds_wanted", "commitment", "availability",
                 "postcode_district", "travel_radius_km", "online_only", "accessibility_needs",
                 "languages", "support_wanted", "payment_preference")
CONSENT_FACTS = ("scope", "organisation_ids", "contact_channels", "equality_monitoring")



def _participant(data: Data) -> dict[str, Any]:
    return picked(data, "participant_id", "network_id")


def _joined(data: Data) -> dict[str, Any]:
    return _participant(data) | picked(data, "roles", "joined_via", "assisted_by_org_id",
                                        "joined_at")


def _profile(data: Data) -> dict[str, Any]:
    return _participant(data) | picked(data["profile"], *PROFILE_FACTS) | picked(
        data, "updated_at")


def _consent(data: Data) -> dict[str, Any]:
    consent = data["consent"]
    decile = consent["deprivation_decile"] if consent["equality_monitoring"] else None
    return _participant(data) | picked(consent, *CONSENT_FACTS) | {
        "deprivation_decile": decile, "changed_at": data["changed_at"]}


def _moment(name: str) -> Callable[[Data], dict[str, Any]]:
    return lambda data: _participant(data) | picked(data, name)


MAPPINGS: dict[str, tuple[type[Contract], Callable[[Data], dict[str, Any]]]] = {
    "NetworkCreated": (contracts.NetworkCreated, lambda d: dict(d)),
    "OrganisationJoined": (contracts.OrganisationJoined, lambda d: dict(d)),
    "OrganisationLeft": (contracts.OrganisationLeft, lambda d: dict(d)),
    "ParticipantJoined": (contracts.ParticipantJoined, _joined),
    "ProfileUpdated": (contracts.ProfileUpdated, _profile),
    "ConsentChanged": (contracts.ConsentChanged, _consent),
    "ParticipantPaused": (contracts.ParticipantPaused,
                          lambda d: _participant(d) | picked(d, "until", "paused_at")),
    "ParticipantResumed": (contracts.ParticipantResumed, _moment("resumed_at")),
    "ParticipantLeft": (contracts.ParticipantLeft, _moment("left_at")),
    "ParticipantErased": (contracts.ParticipantErased, _moment("erased_at")),
}
"""Stored event name -> (public contract, the facts it publishes). Anything else (e.g.
PersonalDetailsChanged) publishes nothing."""

PUBLIC = {name: contract for name, (contract, _) in MAPPINGS.items()}

to_public = public_mapping(MAPPINGS)
