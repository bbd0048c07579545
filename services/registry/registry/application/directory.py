"""The registry's handlers: one small function per command.

An organisation's contact address (the mailbox its staff want platform messages at) is kept
in a table beside the events, never in one: it is for the notifications service to ask for
at send time, like a participant's details.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from sqlalchemy import delete, insert, select

from chorus.auth import Forbidden, Principal
from chorus.errors import NotFound
from chorus.repository import EventCodec, Repository
from chorus.store import Database, EventStore
from chorus.store.database import Transaction
from registry.domain import EVENT_TYPES, Network, Organisation, OrganisationKind
from registry.tables import organisation_contacts


@dataclass(frozen=True)
class CreateNetwork:
    name: str
    region_code: str | None = None


@dataclass(frozen=True)
class JoinOrganisation:
    network_id: UUID
    name: str
    kind: OrganisationKind
    ods_code: str | None = None
    contact_email: str | None = None  # already validated as an e-mail address


@dataclass(frozen=True)
class OrganisationContact:
    organisation_id: UUID
    name: str
    email: str


class Registry:
    """The registry's application: what routes and the demo seed call."""

    def __init__(self, db: Database, store: EventStore,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.db = db
        codec = EventCodec(EVENT_TYPES)
        self.networks = Repository(store, codec, Network)
        self.organisations = Repository(store, codec, Organisation)
        self.clock = clock

    async def create_network(self, command: CreateNetwork) -> Network:
        network = Network.create(uuid4(), command.name, command.region_code, self.clock())
        async with self.db.transaction() as tx:
            await self.networks.save(tx, network)
        return network

    async def join_organisation(self, command: JoinOrganisation,
                                actor: Principal | None = None) -> Organisation:
        async with self.db.transaction() as tx:
            network = await self.networks.get(tx, str(command.network_id))
            _administers(actor, command.network_id)
            organisation = Organisation.join(uuid4(), network, command.name, command.kind,
                                             command.ods_code, self.clock())
            await self.organisations.save(tx, organisation)
            if command.contact_email is not None:
                await self._keep_contact(tx, organisation, command.contact_email, actor)
        return organisation

    async def network(self, network_id: UUID) -> Network:
        """The network as stored now (its read model may lag a moment behind)."""
        async with self.db.snapshot() as tx:
            return await self.networks.get(tx, str(network_id))

    async def leave_network(self, organisation_id: UUID,
                            actor: Principal | None = None) -> Organisation:
        async with self.db.transaction() as tx:
            organisation = await self.organisations.get(tx, str(organisation_id))
            _administers(actor, organisation.joined.network_id)
            organisation.leave(self.clock())
            await self.organisations.save(tx, organisation)
            await tx.conn.execute(delete(organisation_contacts).where(
                organisation_contacts.c.organisation_id == organisation_id))
        return organisation

    async def change_contact(self, organisation_id: UUID, email: str,
                             actor: Principal) -> OrganisationContact:
        """Set the address platform messages go to: its own staff, or its network's admins."""
        async with self.db.transaction() as tx:
            organisation = await self._member(tx, organisation_id)
            if not (actor.is_staff_of(organisation_id)
                    or actor.is_admin_of(organisation.joined.network_id)):
                raise Forbidden("only the organisation's staff, or its network's admins, set "
                                "its contact address")
            await self._keep_contact(tx, organisation, email, actor)
        return OrganisationContact(organisation_id, organisation.joined.name, email)

    async def contact(self, organisation_id: UUID) -> OrganisationContact:
        """Where to write to a member organisation now; NotFound if it is not a member or
        has given no address."""
        async with self.db.snapshot() as tx:
            organisation = await self._member(tx, organisation_id)
            email = (await tx.conn.execute(select(organisation_contacts.c.email).where(
                organisation_contacts.c.organisation_id == organisation_id))).scalar()
        if email is None:
            raise NotFound(f"organisation {organisation_id} has no contact e-mail address; its "
                           "staff can set one with PUT "
                           f"/v1/organisations/{organisation_id}/contact")
        return OrganisationContact(organisation_id, organisation.joined.name, email)

    async def _member(self, tx: Transaction, organisation_id: UUID) -> Organisation:
        organisation = await self.organisations.get(tx, str(organisation_id))
        if not organisation.is_member:
            raise NotFound(f"organisation {organisation_id} has left its network")
        return organisation

    async def _keep_contact(self, tx: Transaction, organisation: Organisation, email: str,
                            actor: Principal | None) -> None:
        organisation_id = organisation.joined.organisation_id
        await tx.conn.execute(delete(organisation_contacts).where(
            organisation_contacts.c.organisation_id == organisation_id))
        await tx.conn.execute(insert(organisation_contacts).values(
            organisation_id=organisation_id, email=email,
            changed_by=actor.subject if actor else "registry", changed_at=self.clock()))


def _administers(actor: Principal | None, network_id: UUID) -> None:
    """Only an admin of that network (or the platform) changes its membership; no actor is
    the composition root itself (the demo seed)."""
    if actor is not None and not actor.is_admin_of(network_id):
        raise Forbidden("only an admin of this network can change its members")
