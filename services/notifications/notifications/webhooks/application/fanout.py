"""Each event heard becomes one delivery per enabled subscription of its network that asks
for its type, written in the inbox's transaction.

One query finds the network's enabled subscriptions; their patterns are matched here. Nothing
is cached between events, so a subscription created, rotated or disabled by another
instance counts from the next event on. A delivery's id, its `webhook-id`, is derived from
the subscription and the event, so an event heard twice makes one delivery.
"""

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from sqlalchemy import select

from chorus.contracts import registry as registry_contracts
from chorus.envelope import Envelope, to_structured_json
from chorus.store.database import Transaction
from notifications.webhooks.application.storage import insert_new, upsert
from notifications.webhooks.application.subscriptions import Subscriptions
from notifications.webhooks.domain.delivery import DeliveryStatus, Random, RetrySchedule
from notifications.webhooks.domain.patterns import matches_any
from notifications.webhooks.domain.subscription import SubscriptionStatus
from notifications.webhooks.tables import deliveries, organisations, subscriptions

Clock = Callable[[], datetime]
JOINED = registry_contracts.OrganisationJoined.event_type()
LEFT = registry_contracts.OrganisationLeft.event_type()


def delivery_id(subscription_id: UUID, event_id: str) -> UUID:
    """The same subscription and event always make the same delivery (and webhook-id)."""
    return uuid5(subscription_id, event_id)


class FanOut:
    def __init__(self, subscriptions: Subscriptions, schedule: RetrySchedule, clock: Clock,
                 random: Random, wake: asyncio.Event) -> None:
        self.subscriptions = subscriptions
        self.schedule = schedule
        self.clock = clock
        self.random = random
        self.wake = wake

    async def heard(self, tx: Transaction, envelope: Envelope) -> None:
        if envelope.type in (JOINED, LEFT):
            await self._note_organisation(tx, envelope)
        network_id = _network_of(envelope.data)
        if network_id is None:
            return
        found = (await tx.conn.execute(select(
            subscriptions.c.subscription_id, subscriptions.c.event_types,
            subscriptions.c.status).where(
            subscriptions.c.network_id == network_id,
            subscriptions.c.status != SubscriptionStatus.DELETED))).all()
        matching = {s: status == SubscriptionStatus.ACTIVE for s, patterns, status in found
                    if matches_any(patterns, envelope.type)}
        if matching:
            await self._queue(tx, envelope, matching)

    async def _queue(self, tx: Transaction, envelope: Envelope,
                     subscription_ids: dict[UUID, bool]) -> None:
        """A delivery per subscription: due now for an active one, held for a disabled one
        (sent, in order, if its organisation enables it again)."""
        body = to_structured_json(envelope).decode()
        now = self.clock()
        rows = [{"delivery_id": delivery_id(s, envelope.id), "subscription_id": s,
                 "event_id": envelope.id, "event_type": envelope.type,
                 "subject": envelope.subject, "body": body,
                 "status": DeliveryStatus.PENDING if active else DeliveryStatus.STOPPED,
                 "attempts": 0, "tries": 0,
                 "next_attempt_at": (self.schedule.first_attempt_at(now, self.random)
                                     if active else None),
                 "created_at": now} for s, active in sorted(subscription_ids.items())]
        await tx.conn.execute(insert_new(tx.conn, deliveries, ["delivery_id"]), rows)
        tx.after_commit(self.wake.set)

    async def _note_organisation(self, tx: Transaction, envelope: Envelope) -> None:
        organisation_id = UUID(str(envelope.data["organisation_id"]))
        member = envelope.type == JOINED
        await tx.conn.execute(upsert(tx.conn, organisations, {
            "organisation_id": organisation_id,
            "network_id": UUID(str(envelope.data["network_id"])), "member": member},
            ["organisation_id"]))
        if not member:
            await self.subscriptions.stop_organisation(tx, organisation_id)


def _network_of(data: Mapping[str, Any]) -> UUID | None:
    """The network an event belongs to; every event partners receive names one."""
    try:
        return UUID(str(data["network_id"]))
    except (KeyError, ValueError):
        return None
