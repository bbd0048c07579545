"""Public events of the registry service: networks and the organisations in them.

Contracts never carry personal data: no person's name, e-mail address, phone
number, full postcode or free-text health detail travels on the bus. Events about
people carry their ids and the non-personal facts consumers need. The names of
networks and organisations are public facts about bodies, not about people.
"""

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from chorus.contracts.base import Contract

OrganisationKind = Literal[
    "nhs_trust",
    "healthwatch",
    "charity",
    "gp_practice",
    "icb",
    "local_authority",
    "research",
    "other",
]


class NetworkCreated(Contract, service="registry", version=1):
    """A region's partnership of organisations was set up to share one pool."""

    network_id: UUID = Field(description="The network; the subject of its events.")
    name: str = Field(min_length=1, max_length=200, description="The network's public name.")
    region_code: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9]{1,32}$",
        description="The region's code, e.g. an ONS code for an integrated care system.",
    )
    created_at: AwareDatetime = Field(description="When the network was created.")


class OrganisationJoined(Contract, service="registry", version=1):
    """An organisation became a member of a network."""

    organisation_id: UUID = Field(description="The organisation; the subject of its events.")
    network_id: UUID = Field(description="The network it joined.")
    name: str = Field(min_length=1, max_length=200, description="The organisation's public name.")
    kind: OrganisationKind = Field(description="What sort of organisation it is.")
    ods_code: str | None = Field(
        default=None,
        pattern=r"^[A-Z0-9]{3,10}$",
        description="The NHS Organisation Data Service code, for NHS bodies.",
    )
    joined_at: AwareDatetime = Field(description="When the organisation joined.")
