"""Who is calling: a role, and the network, organisation, person or service it acts for."""

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID


class Role(StrEnum):
    """What a caller is to the platform."""

    NETWORK_ADMIN = "network_admin"
    ORG_STAFF = "org_staff"
    PARTICIPANT = "participant"
    PARTNER = "partner"
    SERVICE = "service"


IDENTITY_CLAIMS = ("network_id", "org_id", "participant_id", "service")

# What each role must carry and what it may carry. Refusing the rest keeps a sloppy check
# such as `principal.org_id == x` from ever admitting a participant or a partner by accident.
_REQUIRED = {Role.ORG_STAFF: "org_id", Role.PARTICIPANT: "participant_id", Role.SERVICE: "service"}
_ALLOWED = {
    Role.NETWORK_ADMIN: {"network_id"},
    Role.ORG_STAFF: {"network_id", "org_id"},
    Role.PARTICIPANT: {"network_id", "participant_id"},
    Role.PARTNER: {"network_id", "org_id"},
    Role.SERVICE: {"network_id", "service"},
}


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. A principal is always consistent: ValueError otherwise.

    `org_staff` carries `org_id`, `participant` carries `participant_id` and `service` carries
    `service`; any role may name its `network_id`, and `partner` may name its `org_id`.
    """

    subject: str
    role: Role
    network_id: UUID | None = None
    org_id: UUID | None = None
    participant_id: UUID | None = None
    service: str | None = None

    def __post_init__(self) -> None:
        if not self.subject:
            raise ValueError("a principal needs a subject")
        present = {name for name in IDENTITY_CLAIMS if getattr(self, name)}
        required = _REQUIRED.get(self.role)
        if required is not None and required not in present:
            raise ValueError(f"role {self.role} needs {required}")
        if extra := present - _ALLOWED[self.role]:
            raise ValueError(f"role {self.role} cannot carry {', '.join(sorted(extra))}")

    def is_staff_of(self, org_id: UUID) -> bool:
        """Whether this is a member of that organisation's staff."""
        return self.role == Role.ORG_STAFF and self.org_id == org_id

    def is_participant(self, participant_id: UUID) -> bool:
        """Whether this is that participant, signed in as themselves."""
        return self.role == Role.PARTICIPANT and self.participant_id == participant_id

    def is_admin_of(self, network_id: UUID) -> bool:
        """Whether this administers that network (an admin with no network administers all)."""
        return self.role == Role.NETWORK_ADMIN and self.network_id in (None, network_id)

    def is_service(self, name: str | None = None) -> bool:
        """Whether this is a Chorus service (the named one, if a name is given)."""
        return self.role == Role.SERVICE and name in (None, self.service)
