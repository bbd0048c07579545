"""The registry's one composition root, called by the kernel from the app's lifespan."""

from pathlib import Path

from chorus.contracts import registry as contracts
from chorus.repository import EventCodec
from chorus.service import Kernel, ServiceParts, ServiceSpec
from registry.api import router
from registry.application import CreateNetwork, JoinOrganisation, Registry
from registry.domain import EVENT_TYPES, OrganisationKind
from registry.messaging import to_public
from registry.projections import Directory


def compose(kernel: Kernel) -> ServiceParts:
    registry = Registry(kernel.db, kernel.store)

    async def seed_demo() -> list[str]:
        return await _seed_demo_region(registry)

    return ServiceParts(state=registry, projections=[Directory(EventCodec(EVENT_TYPES))],
                        seed_demo=seed_demo)


async def _seed_demo_region(registry: Registry) -> list[str]:
    """A small demo region: one network with a trust, a Healthwatch and a charity."""
    network = await registry.create_network(
        CreateNetwork("North Example Health and Care Partnership", "E54000099"))
    network_id = network.created.network_id
    members = [("Example Valley NHS Foundation Trust", OrganisationKind.NHS_TRUST, "RXX"),
               ("Healthwatch Example", OrganisationKind.HEALTHWATCH, None),
               ("Example Carers Centre", OrganisationKind.CHARITY, None)]
    for name, kind, ods in members:
        await registry.join_organisation(JoinOrganisation(network_id, name, kind, ods))
    return [f"demo network: {network.created.name} ({network_id}) with {len(members)} members"]


service = ServiceSpec(
    name="registry",
    title="Chorus registry",
    description="Networks, organisations, participants, profiles, consent and sign-in.",
    port=8001,
    routers=[router],
    to_public=to_public,
    migrations=Path(__file__).parent / "migrations",
    compose=compose,
    publishes=[contracts.NetworkCreated, contracts.OrganisationJoined],
)
