"""The registry's domain: networks and the organisations that join them. Pure Python."""

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from chorus.domain import Aggregate, DomainEvent
from chorus.errors import DomainRuleBroken

ODS_CODE = re.compile(r"^[A-Z0-9]{3,10}$")


class OrganisationKind(StrEnum):
    NHS_TRUST = "nhs_trust"
    HEALTHWATCH = "healthwatch"
    CHARITY = "charity"
    GP_PRACTICE = "gp_practice"
    ICB = "icb"
    LOCAL_AUTHORITY = "local_authority"
    RESEARCH = "research"
    OTHER = "other"


@dataclass(frozen=True, kw_only=True)
class NetworkCreated(DomainEvent):
    network_id: UUID
    name: str
    region_code: str | None
    created_at: datetime


@dataclass(frozen=True, kw_only=True)
class OrganisationJoined(DomainEvent):
    organisation_id: UUID
    network_id: UUID
    name: str
    kind: OrganisationKind
    ods_code: str | None
    joined_at: datetime


@dataclass(frozen=True, kw_only=True)
class OrganisationLeft(DomainEvent):
    organisation_id: UUID
    network_id: UUID
    left_at: datetime


NHS_KINDS = frozenset({OrganisationKind.NHS_TRUST, OrganisationKind.GP_PRACTICE,
                       OrganisationKind.ICB})


class Network(Aggregate):
    stream_type = "network"

    created: NetworkCreated

    @classmethod
    def create(cls, network_id: UUID, name: str, region_code: str | None,
               now: datetime) -> "Network":
        network = cls(str(network_id))
        network.record(NetworkCreated(network_id=network_id, name=_required(name, "name"),
                                      region_code=region_code, created_at=now))
        return network

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, NetworkCreated):
            self.created = event


class Organisation(Aggregate):
    stream_type = "organisation"

    joined: OrganisationJoined
    left: bool = False

    @classmethod
    def join(cls, organisation_id: UUID, network: Network, name: str, kind: OrganisationKind,
             ods_code: str | None, now: datetime) -> "Organisation":
        if ods_code is not None and not ODS_CODE.match(ods_code):
            raise DomainRuleBroken(f"ods_code {ods_code!r} is not an ODS code (3-10 A-Z or 0-9)")
        if ods_code is None and kind in NHS_KINDS:
            raise DomainRuleBroken(f"an organisation of kind {kind.value} needs its ODS code")
        organisation = cls(str(organisation_id))
        organisation.record(OrganisationJoined(
            organisation_id=organisation_id, network_id=UUID(network.id),
            name=_required(name, "name"), kind=kind, ods_code=ods_code, joined_at=now))
        return organisation

    @property
    def is_member(self) -> bool:
        return not self.left

    def leave(self, now: datetime) -> None:
        """Leave the network; its staff and keys lose access to the network's people."""
        if self.left:
            return
        self.record(OrganisationLeft(organisation_id=self.joined.organisation_id,
                                     network_id=self.joined.network_id, left_at=now))

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, OrganisationJoined):
            self.joined = event
        elif isinstance(event, OrganisationLeft):
            self.left = True


def _required(text: str, field: str) -> str:
    if not text.strip():
        raise DomainRuleBroken(f"{field} must not be blank")
    return text.strip()


EVENT_TYPES: tuple[type[DomainEvent], ...] = (NetworkCreated, OrganisationJoined,
                                               OrganisationLeft)
