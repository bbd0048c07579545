"""The registry's domain: networks, organisations and participants. Pure Python."""

from registry.domain.directory import (
    EVENT_TYPES as DIRECTORY_EVENTS,
)
from registry.domain.directory import (
    Network,
    NetworkCreated,
    Organisation,
    OrganisationJoined,
    OrganisationKind,
)
from registry.domain.participant import (
    PARTICIPANT_EVENTS,
    Consent,
    Participant,
    PersonalDetails,
    Profile,
)

EVENT_TYPES = (*DIRECTORY_EVENTS, *PARTICIPANT_EVENTS)

__all__ = [
    "EVENT_TYPES",
    "Consent",
    "Network",
    "NetworkCreated",
    "Organisation",
    "OrganisationJoined",
    "OrganisationKind",
    "Participant",
    "PersonalDetails",
    "Profile",
]
