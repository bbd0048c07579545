"""Sending notices by e-mail, each at most once.

A notice goes when it is due, outside the person's quiet hours (else at their end), unless
the person asked for a digest and it is a kind that waits for one. Each one is:
1. claimed: status `sending`, committed before anything is sent;
2. checked: the person must still be reachable (this service's directory, then the
   registry, which gives out contact details only for someone active), and what it is
   about still true (a reminder);
3. sent, with the contact details fetched just now and then forgotten;
4. recorded: `sent` with a ParticipantEmailed event (public DeliverySucceeded), or
   `skipped`/`cancelled`, or a ParticipantEmailFailed event (DeliveryFailed), and tried
   again later if the mail server only said "not now".

If the process dies between 3 and 4, the notice stays `sending` past its claim (`claim_for`,
longer than a send can take). It is then marked `uncertain` by whichever instance looks next
and NOT sent again: the e-mail may well have gone, and telling someone twice is worse than,
rarely, not at all. So each (recipient, event, channel) is delivered at most once, with any
number of instances sending from one database.
"""

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from chorus.contracts.vocabulary import ContactChannel, Frequency, ParticipantStatus
from chorus.domain import DomainEvent
from chorus.repository import EventCodec
from chorus.store import EventStore
from chorus.store.database import Database, Transaction
from notifications.people.adapters.letters import Letters, Wording
from notifications.people.adapters.mail import Mailer, MailFailed
from notifications.people.adapters.registry import (
    RegistryContacts,
    RegistryUnavailable,
    Unreachable,
)
from notifications.people.application.directory import Directory
from notifications.people.application.notices import Notices
from notifications.people.domain import events as e
from notifications.people.domain.notices import (
    NoticeKind,
    NoticeStatus,
    next_attempt,
)
from notifications.people.domain.preferences import QuietHours, quiet_until

log = logging.getLogger(__name__)

CLAIM_FOR = timedelta(minutes=2)  # a send (registry, then SMTP) takes well under this


@dataclass(frozen=True)
class Sent:
    latency_ms: int


@dataclass(frozen=True)
class NotSent:
    status: NoticeStatus  # skipped, or cancelled
    reason: str


@dataclass(frozen=True)
class Failed:
    reason: str
    temporary: bool
    latency_ms: int = 0


Outcome = Sent | NotSent | Failed


class Sender:
    def __init__(self, db: Database, store: EventStore, notices: Notices, directory: Directory,
                 registry: RegistryContacts, mailer: Mailer, letters: Letters, *,
                 mail_from: str, zone: ZoneInfo,
                 still_true: Callable[[Mapping[str, Any], datetime], Awaitable[bool]],
                 claim_for: timedelta = CLAIM_FOR) -> None:
        self.claim_for = claim_for
        self.db = db
        self.store = store
        self.notices = notices
        self.directory = directory
        self.registry = registry
        self.mailer = mailer
        self.letters = letters
        self.mail_from = mail_from
        self.zone = zone
        self.still_true = still_true
        self.codec = EventCodec(e.EVENT_TYPES)

    async def send_due(self, now: datetime) -> int:
        """Send what is due by `now`; how many notices were looked at."""
        due = await self.notices.due(now)
        for notice in due:
            quiet = _quiet_hours(notice)
            if (until := quiet_until(now, quiet, self.zone)) is not None:
                await self.notices.defer(notice["notice_id"], until)
            elif await self.notices.claim(notice["notice_id"], now + self.claim_for):
                await self._send(notice, now)
        return len(due)

    async def _send(self, notice: Mapping[str, Any], now: datetime) -> None:
        try:
            outcome = await self.deliver(notice, now)
        except Exception as error:  # whether it went is unknown: never again, as after a crash
            log.exception("people: sending notice %s failed unexpectedly", notice["notice_id"])
            async with self.db.transaction() as tx:
                await self.notices.close(tx, notice, NoticeStatus.UNCERTAIN,
                                         reason=f"unexpected error: {type(error).__name__}")
            return
        await self.record({**notice, "attempts": notice["attempts"] + 1}, outcome, now)

    async def deliver(self, notice: Mapping[str, Any], now: datetime,
                      secret: Mapping[str, Any] | None = None) -> Outcome:
        """Check, then send one claimed notice. `secret` facts (a sign-in code) go in the
        e-mail only."""
        kind = NoticeKind(notice["kind"])
        if (refused := await self._refused_here(notice, kind, now)) is not None:
            return refused
        try:
            contact = await self.registry.contact(notice["participant_id"],
                                                  sign_in=kind == NoticeKind.SIGN_IN_CODE)
        except Unreachable as error:
            return NotSent(NoticeStatus.SKIPPED, f"the registry says: {error}")
        except RegistryUnavailable as error:
            return Failed(str(error), temporary=True)
        if not contact.email:
            return NotSent(NoticeStatus.SKIPPED, "no e-mail address")
        if kind != NoticeKind.SIGN_IN_CODE and ContactChannel.EMAIL not in contact.channels:
            return NotSent(NoticeStatus.SKIPPED, "they have not allowed e-mail")
        wording, html = await self._words(notice, kind, secret or {})
        try:
            message = self.letters.email(sender=self.mail_from, name=contact.name,
                                         address=contact.email, wording=wording, html=html)
        except ValueError:
            return Failed("the e-mail address cannot be used", temporary=False)
        started = time.perf_counter()
        try:
            await self.mailer.send(message)
        except MailFailed as error:
            return Failed(error.reason, error.temporary, _ms_since(started))
        return Sent(_ms_since(started))

    async def _refused_here(self, notice: Mapping[str, Any], kind: NoticeKind,
                            now: datetime) -> NotSent | None:
        async with self.db.snapshot() as tx:
            person = await self.directory.person(tx.conn, notice["participant_id"])
        if (person is not None and person.status != ParticipantStatus.ACTIVE
                and kind != NoticeKind.SIGN_IN_CODE):  # a code they asked for, to come back
            return NotSent(NoticeStatus.SKIPPED, f"they are {person.status}")
        if person is not None and kind != NoticeKind.SIGN_IN_CODE and not person.allows_email:
            return NotSent(NoticeStatus.SKIPPED, "they have not allowed e-mail")
        if not await self.still_true(notice, now):
            return NotSent(NoticeStatus.CANCELLED, "what it was about has ended")
        return None

    async def _words(self, notice: Mapping[str, Any], kind: NoticeKind,
                     secret: Mapping[str, Any]) -> tuple[Wording, Any]:
        if kind == NoticeKind.DIGEST:
            told = await self.notices.gathered(notice["notice_id"])
            return Wording(notice["title"], notice["text"]), self.letters.digest_html(told)
        if secret:
            facts = {**notice["facts"], **secret}
            return self.letters.wording(kind, facts), self.letters.html(kind, facts)
        return (Wording(notice["title"], notice["text"]),
                self.letters.html(kind, notice["facts"]))

    async def record(self, notice: Mapping[str, Any], outcome: Outcome, now: datetime) -> None:
        """Close the claimed notice with what happened, and store the event that says so."""
        async with self.db.transaction() as tx:
            match outcome:
                case Sent():
                    await self.notices.close(tx, notice, NoticeStatus.SENT, sent_at=now)
                    await self._append(tx, notice, *self._sent(notice, outcome, now))
                case NotSent():
                    await self.notices.close(tx, notice, outcome.status, reason=outcome.reason)
                case Failed():
                    retry_at = (next_attempt(notice["attempts"], now) if outcome.temporary
                                and notice["kind"] != NoticeKind.SIGN_IN_CODE else None)
                    if retry_at is not None:
                        await self.notices.retry(tx, notice["notice_id"], retry_at,
                                                 outcome.reason)
                    else:
                        await self.notices.close(tx, notice, NoticeStatus.FAILED,
                                                 reason=outcome.reason)
                    await self._append(tx, notice, e.ParticipantEmailFailed(
                        **_about(notice), reason=outcome.reason[:200],
                        latency_ms=outcome.latency_ms, next_attempt_at=retry_at,
                        failed_at=now))

    def _sent(self, notice: Mapping[str, Any], outcome: Sent,
              now: datetime) -> list[DomainEvent]:
        sent: list[DomainEvent] = [e.ParticipantEmailed(
            **_about(notice), latency_ms=outcome.latency_ms, delivered_at=now)]
        if notice["kind"] == NoticeKind.DIGEST:
            sent.append(e.ParticipantDigestEmailed(
                digest_id=notice["notice_id"], participant_id=notice["participant_id"],
                network_id=notice["network_id"], frequency=Frequency(
                    notice["facts"]["frequency"]), notices=notice["facts"]["notices"],
                sent_at=now))
        return sent

    async def _append(self, tx: Transaction, notice: Mapping[str, Any],
                      *happened: DomainEvent) -> None:
        if notice["network_id"] is None:
            return  # someone this service has not heard of yet: there is no network to name
        stream = str(notice["notice_id"])
        version = await self.store.stream_version(tx, stream)
        await self.store.append(tx, stream, e.STREAM_TYPE, version,
                                [self.codec.encode(event) for event in happened])


def _about(notice: Mapping[str, Any]) -> dict[str, Any]:
    delivery_id: UUID = notice["notice_id"]
    return {"delivery_id": delivery_id, "network_id": notice["network_id"],
            "participant_id": notice["participant_id"], "kind": notice["kind"],
            "event_id": notice["event_id"], "delivered_type": notice["event_type"],
            "attempt": max(1, min(notice["attempts"], 100))}


def _quiet_hours(notice: Mapping[str, Any]) -> QuietHours | None:
    start, end = notice.get("quiet_start"), notice.get("quiet_end")
    return QuietHours(start, end) if start is not None and end is not None else None


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
