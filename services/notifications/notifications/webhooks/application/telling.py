"""Telling an organisation, by e-mail, that one of its webhook endpoints was disabled.

The disabling notes the e-mail owed (`owe`), in its own transaction. Then, for each one due:
1. it is claimed (`sending`, until CLAIM has passed), committed before anything is sent;
2. the registry is asked, now, for the organisation's contact address (never kept here);
3. the e-mail goes: which endpoint, why, how many deliveries did not arrive, and how to
   start again;
4. what happened is recorded: `told`; or `not_told` with the reason (no address, the
   organisation left, the subscription was deleted first, the mail server refused it); or
   `waiting` again, for a while, if the registry or the mail server only said "not now".

A claim that runs out before it was recorded (the process died while sending) is closed as
`not_told`: the e-mail may have gone, and telling twice is worse than, rarely, not at all.
So each disabling is told at most once, however many instances run.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from prometheus_client import Counter
from sqlalchemy import RowMapping, and_, delete, func, insert, or_, select, update

from chorus.contracts.vocabulary import DisabledBecause
from chorus.store import Database
from chorus.store.database import Transaction
from chorus.waiting import work_in_batches
from notifications.people.adapters.mail import Mailer, MailFailed
from notifications.people.adapters.registry import (
    RegistryContacts,
    RegistryUnavailable,
    Unreachable,
)
from notifications.webhooks.domain.delivery import DeliveryStatus
from notifications.webhooks.domain.subscription import SubscriptionStatus
from notifications.webhooks.domain.telling import LetterStatus, next_try_at
from notifications.webhooks.letters import DisabledEndpoint, EndpointLetters
from notifications.webhooks.tables import deliveries, letters, subscriptions

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
CLAIM = timedelta(minutes=5)  # far beyond the registry's and the mail server's timeouts
BATCH = 20
MAX_REASON = 200
MAY_HAVE_GONE = ("the service stopped while sending the e-mail: it may or may not have "
                 "arrived, and is not sent again")
UNDELIVERED = (DeliveryStatus.FAILED, DeliveryStatus.STOPPED)

EMAILS = Counter("chorus_webhook_organisation_emails",
                 "E-mails telling an organisation its webhook endpoint was disabled, by outcome",
                 ["outcome"])


@dataclass(frozen=True)
class Told:
    pass


@dataclass(frozen=True)
class NotTold:
    reason: str


@dataclass(frozen=True)
class NotNow:
    reason: str  # the registry or the mail server is away: try again later


Outcome = Told | NotTold | NotNow


async def owe(tx: Transaction, subscription_id: UUID, organisation_id: UUID,
              now: datetime) -> None:
    """Note, in the disabling's transaction, that the organisation must be told (again,
    if the endpoint was enabled since it was last disabled)."""
    await tx.conn.execute(delete(letters).where(letters.c.subscription_id == subscription_id))
    await tx.conn.execute(insert(letters).values(
        subscription_id=subscription_id, organisation_id=organisation_id,
        status=LetterStatus.WAITING, tries=0, next_try_at=now, created_at=now))


class Telling:
    def __init__(self, db: Database, registry: RegistryContacts, mailer: Mailer,
                 letters: EndpointLetters, *, clock: Clock, wake: asyncio.Event,
                 poll_interval: float) -> None:
        self.db = db
        self.registry = registry
        self.mailer = mailer
        self.letters = letters
        self.clock = clock
        self.wake = wake
        self.poll_interval = poll_interval

    async def work(self) -> None:
        """The worker: a round whenever a disabling commits, or every poll interval."""
        try:
            await work_in_batches(self.step, wake=self.wake, batch_size=BATCH,
                                  poll_interval=self.poll_interval,
                                  name="telling organisations of disabled endpoints")
        finally:
            await self.registry.close()

    async def step(self, now: datetime | None = None) -> int:
        """Tell the organisations due by `now`, and close claims that ran out; how many
        e-mails were looked at."""
        now = now or self.clock()
        async with self.db.snapshot() as tx:  # a read first: most rounds find nothing
            rows = (await tx.conn.execute(select(letters.c.subscription_id, letters.c.status)
                                          .where(_due(now)).order_by(letters.c.created_at)
                                          .limit(BATCH))).all()
        for subscription_id, status in rows:
            if status == LetterStatus.SENDING:
                await self._close_abandoned(subscription_id, now)
            elif await self._claim(subscription_id, now):
                await self._tell(subscription_id)
        return len(rows)

    async def _claim(self, subscription_id: UUID, now: datetime) -> bool:
        async with self.db.transaction() as tx:
            claimed = await tx.conn.execute(update(letters).where(
                letters.c.subscription_id == subscription_id,
                letters.c.status == LetterStatus.WAITING, letters.c.next_try_at <= now).values(
                status=LetterStatus.SENDING, claimed_until=now + CLAIM,
                tries=letters.c.tries + 1))
        return bool(claimed.rowcount == 1)

    async def _close_abandoned(self, subscription_id: UUID, now: datetime) -> None:
        async with self.db.transaction() as tx:
            closed = await tx.conn.execute(update(letters).where(
                letters.c.subscription_id == subscription_id,
                letters.c.status == LetterStatus.SENDING, letters.c.claimed_until <= now).values(
                status=LetterStatus.NOT_TOLD, claimed_until=None, reason=MAY_HAVE_GONE))
        if closed.rowcount:
            EMAILS.labels("uncertain").inc()
            log.warning("webhooks: the e-mail about disabled subscription %s was left sending "
                        "by a stopped process; it is not sent again", subscription_id)

    async def _tell(self, subscription_id: UUID) -> None:
        try:
            tries, outcome = await self._send(subscription_id)
        except Exception as error:  # whether it went is unknown: never again
            log.exception("webhooks: telling the organisation of disabled subscription %s "
                          "failed unexpectedly", subscription_id)
            tries, outcome = 0, NotTold(f"unexpected error: {type(error).__name__}")
        await self._record(subscription_id, tries, outcome, self.clock())

    async def _send(self, subscription_id: UUID) -> tuple[int, Outcome]:
        async with self.db.snapshot() as tx:
            tries = (await tx.conn.execute(select(letters.c.tries).where(
                letters.c.subscription_id == subscription_id))).scalar_one()
            row = (await tx.conn.execute(select(subscriptions).where(
                subscriptions.c.subscription_id == subscription_id))).mappings().one()
            undelivered = (await tx.conn.execute(select(func.count()).select_from(
                deliveries).where(
                deliveries.c.subscription_id == subscription_id,
                deliveries.c.status.in_(UNDELIVERED)))).scalar_one()
        if row["status"] == SubscriptionStatus.DELETED:
            return tries, NotTold("the subscription was deleted before its organisation could "
                                  "be told")
        return tries, await self._email(row, undelivered)

    async def _email(self, row: RowMapping, undelivered: int) -> Outcome:
        try:
            contact = await self.registry.organisation_contact(row["organisation_id"])
        except Unreachable as error:
            return NotTold(f"the registry says: {error}")
        except RegistryUnavailable as error:
            return NotNow(str(error))
        if not contact.email:
            return NotTold("the organisation has no contact e-mail address")
        try:
            message = self.letters.email(contact.email, _endpoint(row, contact.name,
                                                                  undelivered))
        except ValueError:
            return NotTold("the organisation's contact e-mail address cannot be used")
        try:
            await self.mailer.send(message)
        except MailFailed as error:
            if error.temporary:
                return NotNow(error.reason)
            return NotTold(f"the e-mail did not go: {error.reason}")
        return Told()

    async def _record(self, subscription_id: UUID, tries: int, outcome: Outcome,
                      now: datetime) -> None:
        changes: dict[str, Any] = {"claimed_until": None}
        match outcome:
            case Told():
                changes |= {"status": LetterStatus.TOLD, "told_at": now, "reason": None}
            case NotTold(reason):
                changes |= {"status": LetterStatus.NOT_TOLD, "reason": reason[:MAX_REASON]}
            case NotNow(reason):
                again = next_try_at(tries, now)
                status = LetterStatus.WAITING if again else LetterStatus.NOT_TOLD
                said = reason if again else f"gave up after {tries} tries: {reason}"
                changes |= {"status": status, "next_try_at": again,
                            "reason": said[:MAX_REASON]}
        async with self.db.transaction() as tx:
            await tx.conn.execute(update(letters).where(
                letters.c.subscription_id == subscription_id).values(**changes))
        EMAILS.labels(str(changes["status"])).inc()
        if changes["status"] == LetterStatus.NOT_TOLD:
            log.warning("webhooks: the organisation of disabled subscription %s was not told: "
                        "%s", subscription_id, changes["reason"])


def _due(now: datetime) -> Any:
    """Waiting and due, or left sending past its claim."""
    return or_(and_(letters.c.status == LetterStatus.WAITING, letters.c.next_try_at <= now),
               and_(letters.c.status == LetterStatus.SENDING, letters.c.claimed_until <= now))


def _endpoint(row: RowMapping, organisation: str, undelivered: int) -> DisabledEndpoint:
    return DisabledEndpoint(
        organisation=organisation, subscription_id=row["subscription_id"], url=row["url"],
        description=row["description"], because=DisabledBecause(row["disabled_because"]),
        detail=row["disabled_detail"], disabled_at=row["disabled_at"],
        undelivered=undelivered)
