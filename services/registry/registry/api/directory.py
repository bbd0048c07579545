"""The registry's HTTP routes: translate, call the application, return."""

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from chorus.auth import Role, require
from registry.api.deps import Caller, DirectoryDep
from registry.application import CreateNetwork, JoinOrganisation
from registry.application.directory import OrganisationContact
from registry.domain import Network, Organisation, OrganisationKind
from registry.fields import Email
from registry.projections import networks, organisations

router = APIRouter(prefix="/v1", tags=["networks and organisations"])
internal_router = APIRouter(prefix="/internal/v1", tags=["internal"])

ADMIN_ONLY = [Depends(require(Role.NETWORK_ADMIN))]


class NetworkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200, examples=["North Example Health and Care"])
    region_code: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]{1,32}$",
                                    examples=["E54000050"])


class NetworkPublic(BaseModel):
    network_id: UUID
    name: str
    region_code: str | None
    created_at: datetime
    organisation_count: int = 0


class OrganisationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    network_id: UUID
    name: str = Field(min_length=1, max_length=200, examples=["Example NHS Foundation Trust"])
    kind: OrganisationKind
    ods_code: str | None = Field(default=None, pattern=r"^[A-Z0-9]{3,10}$", examples=["RX1"])
    contact_email: Email | None = Field(
        default=None, examples=["digital@trust.example.org"],
        description="The mailbox its staff want platform messages at (e.g. that a webhook "
        "endpoint was disabled). Kept in the registry only; change it with PUT "
        "/v1/organisations/{organisation_id}/contact.")


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: Email = Field(examples=["digital@trust.example.org"])


class ContactOut(BaseModel):
    organisation_id: UUID
    name: str
    email: str

    @classmethod
    def of(cls, contact: OrganisationContact) -> "ContactOut":
        return cls(organisation_id=contact.organisation_id, name=contact.name,
                   email=contact.email)


class OrganisationPublic(BaseModel):
    organisation_id: UUID
    network_id: UUID
    name: str
    kind: OrganisationKind
    ods_code: str | None
    joined_at: datetime


@router.post("/networks", status_code=status.HTTP_201_CREATED, response_model=NetworkPublic,
             dependencies=ADMIN_ONLY)
async def create_network(body: NetworkCreate, registry: DirectoryDep) -> NetworkPublic:
    """Create a network: a region's partnership of organisations sharing one pool."""
    network = await registry.create_network(CreateNetwork(body.name, body.region_code))
    return _network(network)


@router.get("/networks", response_model=list[NetworkPublic])
async def list_networks(registry: DirectoryDep, _: Caller) -> list[NetworkPublic]:
    """Every network, with how many organisations belong to it."""
    count = (select(func.count()).where(organisations.c.network_id == networks.c.network_id)
             .scalar_subquery())
    async with registry.db.connect() as conn:
        rows = (await conn.execute(select(networks, count.label("organisation_count"))
                                   .order_by(networks.c.created_at))).mappings()
        return [NetworkPublic.model_validate(dict(row)) for row in rows]


@router.get("/networks/{network_id}/organisations", response_model=list[OrganisationPublic])
async def list_members(network_id: UUID, registry: DirectoryDep) -> list[OrganisationPublic]:
    """The organisations that belong to a network. Public, like any partnership's list of
    members: the public pages name who answered a story or made a change."""
    await registry.network(network_id)  # 404 if it does not exist, even a moment after
    async with registry.db.connect() as conn:
        rows = (await conn.execute(select(organisations)
                                   .where(organisations.c.network_id == network_id)
                                   .order_by(organisations.c.name))).mappings()
        return [OrganisationPublic.model_validate(dict(row)) for row in rows]


@router.post("/organisations", status_code=status.HTTP_201_CREATED,
             response_model=OrganisationPublic, dependencies=ADMIN_ONLY)
async def join_organisation(body: OrganisationCreate, registry: DirectoryDep,
                            caller: Caller) -> OrganisationPublic:
    """Register an organisation as a member of a network."""
    organisation = await registry.join_organisation(
        JoinOrganisation(body.network_id, body.name, body.kind, body.ods_code,
                         body.contact_email), caller)
    return _organisation(organisation)


def _network(network: Network) -> NetworkPublic:
    created = network.created
    return NetworkPublic(network_id=created.network_id, name=created.name,
                         region_code=created.region_code, created_at=created.created_at)


def _organisation(organisation: Organisation) -> OrganisationPublic:
    joined = organisation.joined
    return OrganisationPublic(organisation_id=joined.organisation_id,
                              network_id=joined.network_id, name=joined.name, kind=joined.kind,
                              ods_code=joined.ods_code, joined_at=joined.joined_at)


@router.post("/organisations/{organisation_id}/leave", response_model=OrganisationPublic,
             dependencies=ADMIN_ONLY)
async def leave_network(organisation_id: UUID, registry: DirectoryDep,
                        caller: Caller) -> OrganisationPublic:
    """An organisation leaves its network: its staff and keys lose access at once."""
    return _organisation(await registry.leave_network(organisation_id, caller))


@router.put("/organisations/{organisation_id}/contact", response_model=ContactOut)
async def change_contact(organisation_id: UUID, body: ContactIn, registry: DirectoryDep,
                         caller: Caller) -> ContactOut:
    """Set the mailbox the organisation's staff want platform messages at. For its own
    staff, or an admin of its network."""
    return ContactOut.of(await registry.change_contact(organisation_id, body.email, caller))


@internal_router.get("/organisations/{organisation_id}/contact", response_model=ContactOut,
                     dependencies=[Depends(require(Role.SERVICE))])
async def organisation_contact(organisation_id: UUID, registry: DirectoryDep) -> ContactOut:
    """Where to write to a member organisation now, for the notifications service only. 404
    if it is not a member, or has given no address."""
    return ContactOut.of(await registry.contact(organisation_id))
