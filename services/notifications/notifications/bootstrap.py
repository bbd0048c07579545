"""The notifications service's one composition root, called by the kernel from the app's
lifespan.

It consumes every other service's public events through one inbox consumer; each event
goes to both halves in the inbox's transaction: the partner webhooks (a delivery per
matching subscription) and the people (notices for those it concerns).
"""

from datetime import UTC, datetime
from pathlib import Path

from chorus.auth import TokenVerifier
from chorus.contracts import events_topic
from chorus.envelope import Envelope
from chorus.service import Consumer, Kernel, ServiceParts, ServiceSpec
from chorus.store.database import Transaction
from notifications import people, webhooks
from notifications.bootstrap_state import NotificationsState
from notifications.messaging import PUBLIC, to_public
from notifications.people.api import routers as people_routers
from notifications.settings import load
from notifications.webhooks.api import routers as webhook_routers

CONSUMED = ("registry", "opportunities", "feedback")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def compose(kernel: Kernel) -> ServiceParts:
    clock = _utc_now
    settings = load(kernel.settings)
    partners = webhooks.compose(kernel, settings, clock)
    persons = people.compose(kernel, settings, clock)

    async def heard(tx: Transaction, envelope: Envelope) -> None:
        await partners.heard(tx, envelope)
        await persons.heard(tx, envelope)

    state = NotificationsState(webhooks=partners.state, people=persons.state,
                               settings=settings, clock=clock)
    return ServiceParts(
        state=state,
        consumers=[Consumer("notifications", [events_topic(s) for s in CONSUMED], heard)],
        workers=[*partners.workers, *persons.workers],
        token_verifier=TokenVerifier.from_settings(kernel.settings))


service = ServiceSpec(
    name="notifications",
    title="Chorus notifications",
    description="Signed partner webhooks, and people told what matters to them, above all "
                "what their feedback changed.",
    port=8004,
    routers=[*webhook_routers, *people_routers],
    to_public=to_public,
    migrations=Path(__file__).parent / "migrations",
    compose=compose,
    publishes=list(PUBLIC.values()),
)

__all__ = ["service"]
