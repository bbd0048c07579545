"""The feedback service's one composition root, called by the kernel from the app's
lifespan."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from chorus.auth import TokenVerifier
from chorus.contracts import events_topic
from chorus.crypto import KeyRing, MasterKey
from chorus.envelope import Envelope
from chorus.repository import EventCodec
from chorus.service import Consumer, Kernel, ServiceParts, ServiceSpec
from chorus.store.database import Transaction
from chorus.waiting import work_in_batches
from feedback.anonymous import AnonymousLimit
from feedback.api import routers
from feedback.application.changes import Changes
from feedback.application.consultations import Consultations
from feedback.application.directory import Directory
from feedback.application.metrics import Metrics
from feedback.application.noting import Noting
from feedback.application.stories import Stories
from feedback.bootstrap_state import FeedbackState
from feedback.demo import seed_demo
from feedback.domain import EVENT_TYPES
from feedback.messaging import PUBLIC, to_public
from feedback.projections import Accountability, LearningLibrary

CLOSING_SWEEP_SECONDS = 30.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


def compose(kernel: Kernel) -> ServiceParts:
    clock = _utc_now
    keys = KeyRing(MasterKey.from_settings(kernel.settings))
    consultations = Consultations(kernel.db, kernel.store, clock)
    changes = Changes(kernel.db, kernel.store, clock)
    state = FeedbackState(
        consultations=consultations, stories=Stories(kernel.db, kernel.store, keys, clock),
        changes=changes, metrics=Metrics(kernel.db), anonymous_limit=AnonymousLimit(),
        clock=clock)
    directory, noting = Directory(keys), Noting(kernel.store)

    async def close_due_consultations() -> None:
        await work_in_batches(consultations.close_due, wake=asyncio.Event(), batch_size=100,
                              poll_interval=CLOSING_SWEEP_SECONDS, name="consultation closing")

    async def heard(tx: Transaction, envelope: Envelope) -> None:
        if envelope.type.startswith("chorus.registry."):
            await directory.handle(tx, envelope)
        else:
            await noting.handle(tx, envelope)

    async def demo() -> list[str]:
        return await seed_demo(state)

    codec = EventCodec(EVENT_TYPES)
    return ServiceParts(
        state=state, projections=[Accountability(codec), LearningLibrary(codec)],
        consumers=[Consumer("feedback", [events_topic("registry"), events_topic("opportunities")],
                            heard)],
        workers=[close_due_consultations], seed_demo=demo,
        token_verifier=TokenVerifier.from_settings(kernel.settings))


service = ServiceSpec(
    name="feedback",
    title="Chorus feedback",
    description="Consultations, stories, changes linked to the voices behind them (\"you "
                "said, we did\"), regional learning and accountability metrics.",
    port=8003,
    routers=routers,
    to_public=to_public,
    migrations=Path(__file__).parent / "migrations",
    compose=compose,
    publishes=list(PUBLIC.values()),
)

__all__ = ["service"]
