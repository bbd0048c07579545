"""Claiming deliveries: which may go now, leased in one short transaction so that several
instances of the service never send the same attempt at once.

PostgreSQL skips the rows another instance is claiming (`FOR UPDATE SKIP LOCKED`); SQLite's
writing transactions take turns. A lease outlives the attempt and its record; if the
instance holding it dies, it runs out and the attempt is made again.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import ColumnElement, RowMapping, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from chorus.crypto import KeyRing
from chorus.store import Database
from chorus.store.database import Transaction
from notifications.webhooks.application.subscriptions import SECRET
from notifications.webhooks.domain.delivery import DeliveryStatus
from notifications.webhooks.domain.subscription import Secrets, SubscriptionStatus
from notifications.webhooks.tables import deliveries, subscriptions

CANDIDATES = 4  # rows read per free slot, so one busy subscription cannot crowd out others


@dataclass(frozen=True)
class Claimed:
    """A delivery leased for one attempt, with what sending it needs."""

    delivery_id: UUID
    subscription_id: UUID
    network_id: UUID
    url: str
    event_id: str
    event_type: str
    body: str
    attempts: int
    tries: int
    lease_id: UUID
    secrets: tuple[str, ...]  # opened: every secret that signs now


class Claims:
    def __init__(self, db: Database, keys: KeyRing, *, lease: timedelta,
                 per_subscription: int) -> None:
        self.db = db
        self.keys = keys
        self.lease = lease
        self.per_subscription = per_subscription

    async def take(self, now: datetime, free: int,
                   sending: Mapping[UUID, int]) -> list[Claimed]:
        """Lease up to `free` deliveries that may go now: due, not under way, the first
        pending one of their subscription and aggregate, and none of a subscription that
        already has `per_subscription` attempts under way here (`sending`)."""
        busy = [s for s, n in sending.items() if n >= self.per_subscription]
        async with self.db.snapshot() as tx:  # a read first: most rounds find nothing
            if (await tx.conn.execute(select(deliveries.c.position).where(
                    *_due(now, busy)).limit(1))).first() is None:
                return []
        async with self.db.transaction() as tx:
            rows = (await tx.conn.execute(_candidates(tx.conn, now, busy,
                                                      free * CANDIDATES))).all()
            picked = self._pick([(r.delivery_id, r.subscription_id) for r in rows], free,
                                sending)
            if not picked:
                return []
            lease_id = uuid4()
            await tx.conn.execute(update(deliveries).where(
                deliveries.c.delivery_id.in_(picked)).values(
                lease_id=lease_id, leased_until=now + self.lease))
            return await self._opened(tx, picked, lease_id, now)

    def _pick(self, rows: list[tuple[UUID, UUID]], free: int,
              sending: Mapping[UUID, int]) -> list[UUID]:
        """At most `free` in all, and no subscription beyond its share."""
        taken = dict(sending)
        picked: list[UUID] = []
        for delivery_id, subscription_id in rows:
            if len(picked) == free:
                break
            if taken.get(subscription_id, 0) < self.per_subscription:
                taken[subscription_id] = taken.get(subscription_id, 0) + 1
                picked.append(delivery_id)
        return picked

    async def _opened(self, tx: Transaction, picked: list[UUID], lease_id: UUID,
                      now: datetime) -> list[Claimed]:
        d, s = deliveries, subscriptions
        rows = (await tx.conn.execute(
            select(d.c.delivery_id, d.c.subscription_id, d.c.event_id, d.c.event_type,
                   d.c.body, d.c.attempts, d.c.tries, s.c.network_id, s.c.url, s.c.secret,
                   s.c.previous_secret, s.c.previous_valid_until)
            .join(s, s.c.subscription_id == d.c.subscription_id)
            .where(d.c.delivery_id.in_(picked)).order_by(d.c.position))).mappings().all()
        opened: dict[UUID, tuple[str, ...] | None] = {}
        claimed = []
        for row in rows:
            subscription_id = row["subscription_id"]
            if subscription_id not in opened:
                opened[subscription_id] = await self._secrets(tx, row, now)
            signing = opened[subscription_id]
            if signing:  # None: deleted meanwhile, and its key shredded
                claimed.append(_claimed(row, lease_id, signing))
        return claimed

    async def _secrets(self, tx: Transaction, row: RowMapping,
                       now: datetime) -> tuple[str, ...] | None:
        sealed = Secrets(row["secret"], row["previous_secret"], row["previous_valid_until"])
        opened = [await self.keys.decrypt(tx.conn, str(row["subscription_id"]), token,
                                          purpose=SECRET) for token in sealed.signing_at(now)]
        return None if None in opened else tuple(s for s in opened if s is not None)


def _due(now: datetime, busy: list[UUID]) -> list[ColumnElement[bool]]:
    """Pending, due, not under way, its subscription active, and no earlier delivery of the
    same subscription and aggregate still pending: `domain.delivery.next_in_line` in SQL."""
    d, earlier, s = deliveries, deliveries.alias("earlier"), subscriptions
    conditions: list[ColumnElement[bool]] = [
        d.c.status == DeliveryStatus.PENDING, d.c.next_attempt_at <= now,
        or_(d.c.leased_until.is_(None), d.c.leased_until <= now),
        select(s.c.subscription_id).where(
            s.c.subscription_id == d.c.subscription_id,
            s.c.status == SubscriptionStatus.ACTIVE).exists(),
        ~select(earlier.c.position).where(
            earlier.c.subscription_id == d.c.subscription_id,
            earlier.c.subject == d.c.subject,
            earlier.c.status == DeliveryStatus.PENDING,
            earlier.c.position < d.c.position).exists()]
    if busy:
        conditions.append(d.c.subscription_id.not_in(busy))
    return conditions


def _candidates(conn: AsyncConnection, now: datetime, busy: list[UUID], limit: int) -> Any:
    query = (select(deliveries.c.delivery_id, deliveries.c.subscription_id)
             .where(*_due(now, busy))
             .order_by(deliveries.c.next_attempt_at, deliveries.c.position).limit(limit))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(of=deliveries, skip_locked=True)
    return query


def _claimed(row: RowMapping, lease_id: UUID, signing: tuple[str, ...]) -> Claimed:
    return Claimed(
        delivery_id=row["delivery_id"], subscription_id=row["subscription_id"],
        network_id=row["network_id"], url=row["url"], event_id=row["event_id"],
        event_type=row["event_type"], body=row["body"], attempts=row["attempts"],
        tries=row["tries"], lease_id=lease_id, secrets=signing)
