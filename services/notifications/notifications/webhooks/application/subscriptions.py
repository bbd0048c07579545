"""Handlers for subscriptions: created, read, listed, their secret rotated, deleted, and
disabled when their endpoint is gone or keeps failing.

An organisation's staff manage its subscriptions; so may an admin of its network. A
subscription receives its organisation's own network's events, nothing else. The secret is
made here, returned once, and kept only sealed under the subscription's own key, which
deleting the subscription shreds. A disabling also notes that its organisation must be told
(`application.telling`).
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import RowMapping, Select, case, func, insert, select, update

from chorus.auth import Forbidden, Principal, Role
from chorus.contracts.vocabulary import DisabledBecause
from chorus.crypto import KeyRing
from chorus.errors import DomainRuleBroken, NotFound
from chorus.repository import EventCodec, Repository
from chorus.store import Database, EventStore
from chorus.store.database import Transaction
from notifications.webhooks.addresses import ForbiddenDestination
from notifications.webhooks.application.event_types import checked_event_types
from notifications.webhooks.application.storage import locking
from notifications.webhooks.application.telling import owe
from notifications.webhooks.domain.delivery import DeliveryStatus
from notifications.webhooks.domain.subscription import (
    SUBSCRIPTION_EVENTS,
    Subscription,
    SubscriptionStatus,
)
from notifications.webhooks.domain.telling import LetterStatus
from notifications.webhooks.outbound import Outbound
from notifications.webhooks.signing import new_secret
from notifications.webhooks.tables import deliveries, letters, organisations, subscriptions

Clock = Callable[[], datetime]
SECRET = "webhook secret"  # the purpose the secret is sealed for


@dataclass(frozen=True)
class NewSubscription:
    url: str
    event_types: tuple[str, ...]
    network_id: UUID | None = None
    organisation_id: UUID | None = None  # the caller's own, for its staff
    description: str | None = None


@dataclass(frozen=True)
class SubscriptionView:
    """A subscription as its organisation sees it (never its secret)."""

    subscription_id: UUID
    organisation_id: UUID
    network_id: UUID
    url: str
    event_types: tuple[str, ...]
    description: str | None
    status: SubscriptionStatus
    disabled_because: DisabledBecause | None
    disabled_detail: str | None
    disabled_at: datetime | None
    failing_since: datetime | None
    previous_secret_valid_until: datetime | None
    created_at: datetime
    organisation_told_at: datetime | None = None
    organisation_not_told_because: str | None = None

    @classmethod
    def of(cls, row: RowMapping) -> "SubscriptionView":
        because = row["disabled_because"]
        return cls(
            subscription_id=row["subscription_id"], organisation_id=row["organisation_id"],
            network_id=row["network_id"], url=row["url"],
            event_types=tuple(row["event_types"]), description=row["description"],
            status=SubscriptionStatus(row["status"]),
            disabled_because=DisabledBecause(because) if because else None,
            disabled_detail=row["disabled_detail"], disabled_at=row["disabled_at"],
            failing_since=row["failing_since"],
            previous_secret_valid_until=row["previous_valid_until"],
            created_at=row["created_at"], organisation_told_at=row.get("organisation_told_at"),
            organisation_not_told_because=row.get("organisation_not_told_because"))


@dataclass(frozen=True)
class WithSecret:
    """A subscription and its new secret, shown this once."""

    subscription: SubscriptionView
    secret: str


@dataclass(frozen=True)
class Page:
    total: int
    items: list[SubscriptionView]


def may_manage(actor: Principal, organisation_id: UUID, network_id: UUID) -> bool:
    return actor.is_staff_of(organisation_id) or actor.is_admin_of(network_id)


class Subscriptions:
    def __init__(self, db: Database, store: EventStore, keys: KeyRing, outbound: Outbound,
                 clock: Clock) -> None:
        self.db = db
        self.keys = keys
        self.outbound = outbound
        self.clock = clock
        self.repository = Repository(store, EventCodec(SUBSCRIPTION_EVENTS), Subscription)
        self.disabled = asyncio.Event()  # set once a disabling commits: someone must be told

    async def create(self, new: NewSubscription, actor: Principal) -> WithSecret:
        """Every check (who, which events, where) comes before anything is written."""
        organisation_id, network_id = await self._owner(new, actor)
        event_types = checked_event_types(new.event_types)
        try:
            await self.outbound.check_destination(new.url)
        except ForbiddenDestination as error:
            raise DomainRuleBroken(f"url: {error}") from None
        subscription_id, secret = uuid4(), new_secret()
        async with self.db.transaction() as tx:
            sealed = await self.keys.encrypt(tx.conn, str(subscription_id), secret,
                                             purpose=SECRET)
            subscription = Subscription.create(
                subscription_id, organisation_id=organisation_id, network_id=network_id,
                url=new.url, event_types=event_types, description=new.description,
                sealed_secret=sealed, by=actor.subject, now=self.clock())
            await self.repository.save(tx, subscription)
            c = subscription.created
            await tx.conn.execute(insert(subscriptions).values(
                subscription_id=subscription_id, organisation_id=organisation_id,
                network_id=network_id, url=c.url, event_types=list(c.event_types),
                description=c.description, status=subscription.status, secret=sealed,
                created_at=c.created_at))
            view = await self._view(tx, subscription_id)
        return WithSecret(view, secret)

    async def get(self, subscription_id: UUID, actor: Principal) -> SubscriptionView:
        async with self.db.snapshot() as tx:
            view = await self._view(tx, subscription_id)
        self._check_may_manage(view, actor)
        return view

    async def browse(self, actor: Principal, *, organisation_id: UUID | None,
                     network_id: UUID | None, limit: int, offset: int) -> Page:
        """The subscriptions the caller manages, newest first: its own organisation's for
        staff; for a network admin, its network's (or the organisation's asked for)."""
        t = subscriptions
        conditions: list[Any] = [t.c.status != SubscriptionStatus.DELETED]
        if actor.role == Role.ORG_STAFF and actor.org_id is not None:
            if organisation_id not in (None, actor.org_id):
                raise Forbidden("an organisation's staff see only its own subscriptions")
            conditions.append(t.c.organisation_id == actor.org_id)
        elif actor.role == Role.NETWORK_ADMIN:
            network_id = network_id or actor.network_id
            if network_id is not None and not actor.is_admin_of(network_id):
                raise Forbidden("a network's admins see only its subscriptions")
            if network_id is not None:
                conditions.append(t.c.network_id == network_id)
            if organisation_id is not None:
                conditions.append(t.c.organisation_id == organisation_id)
        else:
            raise Forbidden("an organisation's staff, or its network's admins, see its "
                            "subscriptions")
        async with self.db.snapshot() as tx:
            total = (await tx.conn.execute(select(func.count()).select_from(t).where(
                *conditions))).scalar_one()
            rows = (await tx.conn.execute(_with_letter().where(*conditions).order_by(
                t.c.created_at.desc(), t.c.subscription_id).limit(limit).offset(offset)
            )).mappings().all()
        return Page(total, [SubscriptionView.of(r) for r in rows])

    async def rotate_secret(self, subscription_id: UUID, overlap: timedelta,
                            actor: Principal) -> WithSecret:
        """A new secret; the old one keeps signing beside it until the overlap ends."""
        secret = new_secret()
        async with self.db.transaction() as tx:
            subscription = await self._managed(tx, subscription_id, actor)
            sealed = await self.keys.encrypt(tx.conn, str(subscription_id), secret,
                                             purpose=SECRET)
            rotated = subscription.rotate_secret(sealed, overlap, actor.subject, self.clock())
            await self.repository.save(tx, subscription)
            await tx.conn.execute(update(subscriptions).where(
                subscriptions.c.subscription_id == subscription_id).values(
                secret=sealed, previous_secret=subscription.secrets.previous,
                previous_valid_until=rotated.previous_valid_until))
            view = await self._view(tx, subscription_id)
        return WithSecret(view, secret)

    async def delete(self, subscription_id: UUID, actor: Principal) -> None:
        """Stop the subscription: nothing more is sent, and its secret is shredded."""
        async with self.db.transaction() as tx:
            subscription = await self._managed(tx, subscription_id, actor)
            await self.delete_in(tx, subscription, actor.subject)

    async def delete_in(self, tx: Transaction, subscription: Subscription, by: str) -> None:
        subscription.delete(by, self.clock())
        await self.repository.save(tx, subscription)
        await self._set_status(tx, subscription)
        await self.keys.shred(tx.conn, subscription.id)

    async def stop_organisation(self, tx: Transaction, organisation_id: UUID) -> None:
        """An organisation left its network: delete its subscriptions."""
        ids = (await tx.conn.execute(select(subscriptions.c.subscription_id).where(
            subscriptions.c.organisation_id == organisation_id,
            subscriptions.c.status != SubscriptionStatus.DELETED))).scalars().all()
        for subscription_id in ids:
            subscription = await self.repository.get(tx, str(subscription_id))
            await self.delete_in(tx, subscription, "registry: the organisation left")

    async def disable_in(self, tx: Transaction, subscription_id: UUID,
                         because: DisabledBecause, detail: str) -> None:
        """Stop sending to an endpoint that is gone or kept failing; its organisation sees
        why on the subscription, its systems hear EndpointDisabled, and its contact address
        is e-mailed once this commits."""
        subscription = await self.repository.get(tx, str(subscription_id))
        if subscription.status != SubscriptionStatus.ACTIVE:
            return
        subscription.disable(because, detail, self.clock())
        await self.repository.save(tx, subscription)
        await self._set_status(tx, subscription)
        await owe(tx, subscription_id, subscription.organisation_id, self.clock())
        tx.after_commit(self.disabled.set)

    async def enable_in(self, tx: Transaction, subscription_id: UUID,
                        actor: Principal) -> datetime:
        """Mark a disabled subscription active again; return since when its endpoint had
        been failing (what it missed since then is due to be sent again)."""
        subscription = await self._managed(tx, subscription_id, actor)
        disabled = subscription.disabled
        subscription.enable(actor.subject, self.clock())
        failing_since = (await tx.conn.execute(select(subscriptions.c.failing_since).where(
            subscriptions.c.subscription_id == subscription_id))).scalar_one()
        await self.repository.save(tx, subscription)
        await tx.conn.execute(update(subscriptions).where(
            subscriptions.c.subscription_id == subscription_id).values(
            status=subscription.status, disabled_because=None, disabled_detail=None,
            disabled_at=None, failing_since=None))
        assert disabled is not None
        return failing_since or disabled.disabled_at

    async def _set_status(self, tx: Transaction, subscription: Subscription) -> None:
        """Write the status down, and stop what was waiting to be sent."""
        disabled = subscription.disabled
        await tx.conn.execute(update(subscriptions).where(
            subscriptions.c.subscription_id == UUID(subscription.id)).values(
            status=subscription.status,
            disabled_because=disabled.because if disabled else None,
            disabled_detail=disabled.detail[:200] if disabled else None,
            disabled_at=disabled.disabled_at if disabled else None))
        await tx.conn.execute(update(deliveries).where(
            deliveries.c.subscription_id == UUID(subscription.id),
            deliveries.c.status == DeliveryStatus.PENDING,
            deliveries.c.lease_id.is_(None)).values(
            status=DeliveryStatus.STOPPED, next_attempt_at=None))

    async def _owner(self, new: NewSubscription, actor: Principal) -> tuple[UUID, UUID]:
        """Whose subscription it is and which network it filters to; Forbidden unless the
        caller may manage it and the network is the organisation's own."""
        if actor.role == Role.ORG_STAFF and actor.org_id is not None:
            if new.organisation_id not in (None, actor.org_id):
                raise Forbidden("an organisation's staff manage only its own subscriptions")
            organisation_id = actor.org_id
            network_id = actor.network_id or await self._network_of(organisation_id)
        elif actor.role == Role.NETWORK_ADMIN:
            if new.organisation_id is None:
                raise DomainRuleBroken("say which organisation the subscription is for "
                                       "(organisation_id)")
            organisation_id = new.organisation_id
            network_id = await self._network_of(organisation_id)
            if not actor.is_admin_of(network_id):
                raise Forbidden("a network's admins manage only its organisations' "
                                "subscriptions")
        else:
            raise Forbidden("an organisation's staff, or its network's admins, create its "
                            "subscriptions")
        if new.network_id not in (None, network_id):
            raise Forbidden("a subscription receives only its own organisation's network's "
                            "events")
        return organisation_id, network_id

    async def _network_of(self, organisation_id: UUID) -> UUID:
        async with self.db.snapshot() as tx:
            network_id = (await tx.conn.execute(select(organisations.c.network_id).where(
                organisations.c.organisation_id == organisation_id,
                organisations.c.member.is_(True)))).scalar_one_or_none()
        if network_id is None:
            raise DomainRuleBroken(f"organisation {organisation_id} is not a member of any "
                                   "network (or the service has not heard of it yet)")
        return UUID(str(network_id))

    async def managed(self, tx: Transaction, subscription_id: UUID,
                      actor: Principal) -> SubscriptionView:
        """The subscription, its row locked until the transaction ends, once the caller may
        manage it."""
        await tx.conn.execute(locking(select(subscriptions.c.subscription_id).where(
            subscriptions.c.subscription_id == subscription_id), tx.conn))
        view = await self._view(tx, subscription_id)
        self._check_may_manage(view, actor)
        return view

    async def _managed(self, tx: Transaction, subscription_id: UUID,
                       actor: Principal) -> Subscription:
        await self.managed(tx, subscription_id, actor)
        return await self.repository.get(tx, str(subscription_id))

    async def _view(self, tx: Transaction, subscription_id: UUID) -> SubscriptionView:
        row = (await tx.conn.execute(_with_letter().where(
            subscriptions.c.subscription_id == subscription_id))).mappings().first()
        if row is None or row["status"] == SubscriptionStatus.DELETED:
            raise NotFound(f"subscription {subscription_id} does not exist")
        return SubscriptionView.of(row)

    @staticmethod
    def _check_may_manage(view: SubscriptionView, actor: Principal) -> None:
        if not may_manage(actor, view.organisation_id, view.network_id):
            raise Forbidden("only the organisation's staff, or its network's admins, manage "
                            "this subscription")


def _with_letter() -> Select[Any]:
    """Subscriptions, each with whether its organisation was told it was disabled."""
    not_told = letters.c.status == LetterStatus.NOT_TOLD
    return select(subscriptions, letters.c.told_at.label("organisation_told_at"), case(
        (not_told, letters.c.reason), else_=None).label("organisation_not_told_because")
    ).select_from(subscriptions.outerjoin(
        letters, letters.c.subscription_id == subscriptions.c.subscription_id))
