"""The registry's handlers: one small function per command."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from chorus.auth import Forbidden, Principal
from chorus.repository import EventCodec, Repository
from chorus.store import Database, EventStore
from registry.domain import EVENT_TYPES, Network, Organisation, OrganisationKind


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
        return organisation


def _administers(actor: Principal | None, network_id: UUID) -> None:
    """Only an admin of that network (or the platform) changes its membership; no actor is
    the composition root itself (the demo seed)."""
    if actor is not None and not actor.is_admin_of(network_id):
        raise Forbidden("only an admin of this network can change its members")
