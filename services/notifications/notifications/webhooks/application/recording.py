"""Recording an attempt: the delivery's new state, its line in the delivery log, the stored
event its subscription's systems hear (DeliverySucceeded or DeliveryFailed), and the
endpoint's health: a 410 disables it at once, and so does failing with no success for
`disable_after`.

An attempt is recorded only while its lease holds; one recorded after the lease ran out is
dropped, as another instance is making it again.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from chorus.contracts.vocabulary import DisabledBecause
from chorus.repository import EventCodec
from chorus.store import Database, EventStore
from chorus.store.database import Transaction
from notifications.webhooks.application.claims import Claimed
from notifications.webhooks.application.storage import locking
from notifications.webhooks.application.subscriptions import Subscriptions
from notifications.webhooks.domain.delivery import (
    DELIVERY_EVENTS,
    DeliveryStatus,
    Outcome,
    Random,
    RetrySchedule,
    WebhookAttempt,
    WebhookAttemptFailed,
    WebhookDelivered,
    failing_too_long,
)
from notifications.webhooks.domain.subscription import SubscriptionStatus
from notifications.webhooks.tables import attempts, deliveries, subscriptions

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
STREAM_TYPE = "webhook_delivery"


@dataclass(frozen=True)
class Rules:
    schedule: RetrySchedule
    disable_after: timedelta  # how long an endpoint may keep failing


class Attempts:
    def __init__(self, db: Database, store: EventStore, subscriptions: Subscriptions,
                 rules: Rules, clock: Clock, random: Random) -> None:
        self.db = db
        self.store = store
        self.subscriptions = subscriptions
        self.rules = rules
        self.clock = clock
        self.random = random
        self.codec = EventCodec(DELIVERY_EVENTS)

    async def record(self, delivery: Claimed, outcome: Outcome) -> None:
        async with self.db.transaction() as tx:
            subscription = (await tx.conn.execute(locking(select(
                subscriptions.c.status, subscriptions.c.failing_since).where(
                subscriptions.c.subscription_id == delivery.subscription_id), tx.conn))).first()
            now = self.clock()
            active = subscription is not None and subscription.status == SubscriptionStatus.ACTIVE
            failing_since = None if outcome.succeeded else (
                subscription.failing_since if subscription and subscription.failing_since
                else now)
            disabling = self._disabling(outcome, failing_since, now) if active else None
            next_at = None
            if not outcome.succeeded and active and disabling is None:
                next_at = self.rules.schedule.next_attempt_at(delivery.tries + 1, now,
                                                              self.random)
            if not await self._update(tx, delivery, outcome, next_at, now):
                log.warning("webhook delivery %s: the lease ran out before the attempt was "
                            "recorded; another attempt follows", delivery.delivery_id)
                return
            event = _attempted(delivery, outcome, next_at, now)
            await self.store.append(tx, str(delivery.delivery_id), STREAM_TYPE,
                                    delivery.attempts, [self.codec.encode(event)])
            await tx.conn.execute(update(subscriptions).where(
                subscriptions.c.subscription_id == delivery.subscription_id).values(
                failing_since=failing_since))
            if disabling is not None:
                await self.subscriptions.disable_in(tx, delivery.subscription_id, disabling,
                                                    outcome.reason)

    def _disabling(self, outcome: Outcome, failing_since: datetime | None,
                   now: datetime) -> DisabledBecause | None:
        if outcome.gone:
            return DisabledBecause.GONE
        if failing_too_long(failing_since, now, self.rules.disable_after):
            return DisabledBecause.FAILING
        return None

    async def _update(self, tx: Transaction, delivery: Claimed, outcome: Outcome,
                      next_at: datetime | None, now: datetime) -> bool:
        """The delivery's new state and its attempt in the log, if the lease still holds."""
        status = (DeliveryStatus.DELIVERED if outcome.succeeded else
                  DeliveryStatus.PENDING if next_at is not None else DeliveryStatus.FAILED)
        changed = await tx.conn.execute(update(deliveries).where(
            deliveries.c.delivery_id == delivery.delivery_id,
            deliveries.c.lease_id == delivery.lease_id).values(
            status=status, attempts=delivery.attempts + 1, tries=delivery.tries + 1,
            next_attempt_at=next_at, lease_id=None, leased_until=None))
        if changed.rowcount == 0:
            return False
        await tx.conn.execute(insert(attempts).values(
            delivery_id=delivery.delivery_id, attempt=delivery.attempts + 1,
            attempted_at=now, succeeded=outcome.succeeded, status_code=outcome.status_code,
            latency_ms=outcome.latency_ms, reason=None if outcome.succeeded else outcome.reason))
        return True


def _attempted(delivery: Claimed, outcome: Outcome, next_at: datetime | None,
               now: datetime) -> WebhookAttempt:
    facts: dict[str, Any] = {
        "delivery_id": delivery.delivery_id, "subscription_id": delivery.subscription_id,
        "network_id": delivery.network_id, "event_id": delivery.event_id,
        "delivered_type": delivery.event_type, "attempt": delivery.attempts + 1,
        "status_code": outcome.status_code, "latency_ms": outcome.latency_ms}
    if outcome.succeeded:
        return WebhookDelivered(**facts, delivered_at=now)
    return WebhookAttemptFailed(**facts, reason=outcome.reason, next_attempt_at=next_at,
                                failed_at=now)
