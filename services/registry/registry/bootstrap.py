"""The registry's one composition root, called by the kernel from the app's lifespan."""

from pathlib import Path

from chorus.auth import Principal, Role, SigningKey, TokenIssuer, TokenVerifier
from chorus.contracts.vocabulary import Method, ParticipantRole, Topic
from chorus.crypto import KeyRing, MasterKey
from chorus.repository import EventCodec
from chorus.secretfiles import service_api_keys
from chorus.service import Kernel, ServiceParts, ServiceSpec
from registry.api import routers
from registry.application import CreateNetwork, JoinOrganisation, Registry
from registry.application.access import Access
from registry.application.participants import Details, JoinParticipant, Participants
from registry.bootstrap_state import RegistryState
from registry.domain import EVENT_TYPES, Consent, OrganisationKind, Profile
from registry.messaging import PUBLIC, to_public
from registry.projections import Directory
from registry.secrets_file import admin_api_key
from registry.sign_in_codes import code_sender


def compose(kernel: Kernel) -> ServiceParts:
    keys = KeyRing(MasterKey.from_settings(kernel.settings))
    signing_key = SigningKey.from_settings(kernel.settings)
    issuer = TokenIssuer(signing_key)
    state = RegistryState(
        directory=Registry(kernel.db, kernel.store),
        participants=Participants(kernel.db, kernel.store, keys),
        access=Access(kernel.db, kernel.store, keys, issuer,
                      admin_key=admin_api_key(kernel.settings),
                      service_keys=service_api_keys(kernel.settings),
                      send_code=code_sender(kernel.settings, issuer)),
        issuer=issuer,
    )

    async def seed_demo() -> list[str]:
        return await _seed_demo_region(state)

    return ServiceParts(state=state, projections=[Directory(EventCodec(EVENT_TYPES))],
                        seed_demo=seed_demo,
                        token_verifier=TokenVerifier.from_jwks(issuer.jwks()))


async def _seed_demo_region(state: RegistryState) -> list[str]:
    """A small demo region: a network, a trust, a Healthwatch, a charity and one person."""
    network = await state.directory.create_network(
        CreateNetwork("North Example Health and Care Partnership", "E54000099"))
    network_id = network.created.network_id
    admin = Principal(subject="demo-seed", role=Role.NETWORK_ADMIN)
    lines = [f"demo network: {network.created.name} ({network_id})",
             f"admin API key:  {state.access.admin_key}"]
    members = [("Example Valley NHS Foundation Trust", OrganisationKind.NHS_TRUST, "RXX",
                "digital@valley-trust.example.org"),
               ("Healthwatch Example", OrganisationKind.HEALTHWATCH, None,
                "enquiries@healthwatch.example.org"),
               ("Example Carers Centre", OrganisationKind.CHARITY, None, None)]
    for name, kind, ods, contact_email in members:
        organisation = await state.directory.join_organisation(
            JoinOrganisation(network_id, name, kind, ods, contact_email))
        key = await state.access.create_api_key(organisation.joined.organisation_id,
                                                "demo key", admin)
        lines.append(f"{name} API key: {key.secret}")
    await state.participants.join(JoinParticipant(
        network_id=network_id,
        details=Details(name="Sam Example", email="sam@example.org", postcode="LS6 2AB"),
        profile=Profile(roles=(ParticipantRole.CARER,), methods=(Method.ONLINE, Method.WRITING),
                        topics=(Topic.CARERS,), postcode_district="LS6"),
        consent=Consent()), None)
    lines.append("demo participant: sam@example.org (ask for a sign-in code: it is printed "
                 "here in the console, and e-mailed into the Maildir <data dir>/mail)")
    return lines


service = ServiceSpec(
    name="registry",
    title="Chorus registry",
    description="Networks, organisations, participants, profiles, consent and sign-in.",
    port=8001,
    routers=routers,
    to_public=to_public,
    migrations=Path(__file__).parent / "migrations",
    compose=compose,
    publishes=list(PUBLIC.values()),
)

__all__ = ["service"]
