"""The delivery log of a subscription, and replay: one delivery again, or every delivery
since a time, each as a new attempt with its own `webhook-id` unchanged."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from chorus.auth import Principal
from chorus.errors import Conflict, DomainRuleBroken, NotFound
from chorus.store import Database
from notifications.webhooks.application.subscriptions import Subscriptions
from notifications.webhooks.domain.delivery import (
    MAX_ATTEMPTS,
    DeliveryStatus,
    check_replayable,
)
from notifications.webhooks.domain.subscription import SubscriptionStatus
from notifications.webhooks.tables import attempts, deliveries

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class AttemptView:
    attempt: int
    attempted_at: datetime
    succeeded: bool
    status_code: int | None
    latency_ms: int
    reason: str | None


@dataclass(frozen=True)
class DeliveryView:
    delivery_id: UUID  # the webhook-id the partner sees
    subscription_id: UUID
    event_id: str
    event_type: str
    subject: str
    status: DeliveryStatus
    attempts: list[AttemptView]
    next_attempt_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class DeliveryPage:
    total: int
    items: list[DeliveryView]


class Deliveries:
    def __init__(self, db: Database, subscriptions: Subscriptions, clock: Clock,
                 wake: asyncio.Event) -> None:
        self.db = db
        self.subscriptions = subscriptions
        self.clock = clock
        self.wake = wake

    async def log(self, subscription_id: UUID, actor: Principal, *,
                  status: DeliveryStatus | None, since: datetime | None, limit: int,
                  offset: int) -> DeliveryPage:
        """A subscription's deliveries, newest first, each with its attempts."""
        await self.subscriptions.get(subscription_id, actor)
        d = deliveries
        conditions: list[Any] = [d.c.subscription_id == subscription_id]
        if status is not None:
            conditions.append(d.c.status == status)
        if since is not None:
            conditions.append(d.c.created_at >= since)
        async with self.db.snapshot() as tx:
            total = (await tx.conn.execute(select(func.count()).select_from(d).where(
                *conditions))).scalar_one()
            rows = (await tx.conn.execute(select(
                d.c.delivery_id, d.c.subscription_id, d.c.event_id, d.c.event_type,
                d.c.subject, d.c.status, d.c.next_attempt_at, d.c.created_at).where(
                *conditions).order_by(d.c.position.desc()).limit(limit).offset(offset)
            )).mappings().all()
            tried = (await tx.conn.execute(select(attempts).where(
                attempts.c.delivery_id.in_([r["delivery_id"] for r in rows])).order_by(
                attempts.c.delivery_id, attempts.c.attempt))).mappings().all()
        by_delivery: dict[UUID, list[AttemptView]] = {}
        for a in tried:
            by_delivery.setdefault(a["delivery_id"], []).append(AttemptView(
                a["attempt"], a["attempted_at"], a["succeeded"], a["status_code"],
                a["latency_ms"], a["reason"]))
        return DeliveryPage(total, [DeliveryView(
            delivery_id=r["delivery_id"], subscription_id=r["subscription_id"],
            event_id=r["event_id"], event_type=r["event_type"], subject=r["subject"],
            status=DeliveryStatus(r["status"]), attempts=by_delivery.get(r["delivery_id"], []),
            next_attempt_at=r["next_attempt_at"], created_at=r["created_at"]) for r in rows])

    async def replay(self, subscription_id: UUID, actor: Principal, *,
                     delivery_id: UUID | None = None, since: datetime | None = None) -> int:
        """Send one delivery again, or every delivery since a time; return how many were
        queued. Each goes as a new attempt, in order per aggregate as before."""
        now = self.clock()
        if (delivery_id is None) == (since is None):
            raise DomainRuleBroken("give either delivery_id or since")
        if since is not None and since > now:
            raise DomainRuleBroken(f"since: {since.isoformat()} is in the future")
        async with self.db.transaction() as tx:
            view = await self.subscriptions.managed(tx, subscription_id, actor)
            if view.status != SubscriptionStatus.ACTIVE:
                raise Conflict(f"the subscription is {view.status}: nothing is sent to it")
            d = deliveries
            conditions: list[Any] = [d.c.subscription_id == subscription_id,
                                     or_(d.c.leased_until.is_(None), d.c.leased_until <= now)]
            if delivery_id is not None:
                await self._check_replayable(tx.conn, subscription_id, delivery_id, now)
                conditions.append(d.c.delivery_id == delivery_id)
            else:
                conditions += [d.c.created_at >= since, d.c.attempts < MAX_ATTEMPTS]
            replayed = await tx.conn.execute(update(d).where(*conditions).values(
                status=DeliveryStatus.PENDING, tries=0, next_attempt_at=now, lease_id=None,
                leased_until=None))
            tx.after_commit(self.wake.set)
        return int(replayed.rowcount)

    async def enable(self, subscription_id: UUID, actor: Principal) -> int:
        """Its organisation says a disabled endpoint is back: the subscription is active
        again, and what it missed is sent in order, each once: the deliveries held while it
        was disabled, and those whose last attempt failed once the endpoint had begun failing.
        Return how many are due."""
        now = self.clock()
        async with self.db.transaction() as tx:
            failing_since = await self.subscriptions.enable_in(tx, subscription_id, actor)
            d = deliveries
            resumed = await tx.conn.execute(update(d).where(
                d.c.subscription_id == subscription_id, d.c.attempts < MAX_ATTEMPTS,
                or_(d.c.status == DeliveryStatus.STOPPED,
                    and_(d.c.status == DeliveryStatus.FAILED, exists().where(
                        attempts.c.delivery_id == d.c.delivery_id,
                        attempts.c.attempted_at >= failing_since)))).values(
                status=DeliveryStatus.PENDING, tries=0, next_attempt_at=now, lease_id=None,
                leased_until=None))
            tx.after_commit(self.wake.set)
        return int(resumed.rowcount)

    @staticmethod
    async def _check_replayable(conn: AsyncConnection, subscription_id: UUID,
                                delivery_id: UUID, now: datetime) -> None:
        row = (await conn.execute(select(
            deliveries.c.attempts, deliveries.c.leased_until).where(
            deliveries.c.delivery_id == delivery_id,
            deliveries.c.subscription_id == subscription_id))).first()
        if row is None:
            raise NotFound(f"delivery {delivery_id} is not one of subscription "
                           f"{subscription_id}'s")
        if row.leased_until is not None and row.leased_until > now:
            raise Conflict(f"delivery {delivery_id} is being sent right now")
        check_replayable(row.attempts)
