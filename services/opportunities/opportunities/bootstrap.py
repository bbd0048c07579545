"""The opportunities service's one composition root, called by the kernel from the app's
lifespan."""

import asyncio
from pathlib import Path
from uuid import UUID

from chorus.auth import TokenVerifier
from chorus.contracts import events_topic
from chorus.repository import EventCodec
from chorus.service import Consumer, Kernel, ServiceParts, ServiceSpec
from chorus.store.database import Transaction
from chorus.waiting import work_in_batches
from opportunities import geography
from opportunities.api import routers
from opportunities.application.expenses import Expenses
from opportunities.application.matching import Matcher
from opportunities.application.opportunities import Opportunities, _utc_now
from opportunities.application.pool import Pool
from opportunities.bootstrap_state import OpportunitiesState
from opportunities.demo import seed_demo
from opportunities.domain import EVENT_TYPES
from opportunities.messaging import PUBLIC, to_public
from opportunities.projections import InvolvementRecord, Listing

EXPIRY_SWEEP_SECONDS = 60.0


def compose(kernel: Kernel) -> ServiceParts:
    clock = _utc_now
    opportunities: Opportunities

    async def stepped_back(tx: Transaction, participant_id: UUID, reason: str,
                           give_up_seat: bool) -> None:
        await opportunities.when_participant_stepped_back(tx, participant_id, reason,
                                                          give_up_seat=give_up_seat)

    pool = Pool(kernel.db, stepped_back)
    matcher = Matcher(kernel.db, pool, geography.centroid)
    opportunities = Opportunities(kernel.db, kernel.store, matcher, clock)
    state = OpportunitiesState(opportunities=opportunities,
                               expenses=Expenses(kernel.db, kernel.store, opportunities, clock),
                               matcher=matcher, clock=clock)

    async def expire_invitations() -> None:
        await work_in_batches(opportunities.expire_lapsed_invitations, wake=asyncio.Event(),
                              batch_size=1_000_000, poll_interval=EXPIRY_SWEEP_SECONDS,
                              name="invitation expiry")

    async def demo() -> list[str]:
        return await seed_demo(opportunities)

    codec = EventCodec(EVENT_TYPES)
    return ServiceParts(
        state=state, projections=[Listing(codec), InvolvementRecord(codec)],
        consumers=[Consumer("opportunities", [events_topic("registry")], pool.handle)],
        workers=[expire_invitations], seed_demo=demo,
        token_verifier=TokenVerifier.from_settings(kernel.settings))


service = ServiceSpec(
    name="opportunities",
    title="Chorus opportunities",
    description="Ways to be involved, fair matching, invitations, sessions, expenses and "
                "involvement payments.",
    port=8002,
    routers=routers,
    to_public=to_public,
    migrations=Path(__file__).parent / "migrations",
    compose=compose,
    publishes=list(PUBLIC.values()),
)

__all__ = ["service"]
