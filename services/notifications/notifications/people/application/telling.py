"""Who is told what, as events arrive (in the inbox's transaction): one policy per event.

A person this service knows cannot be told (paused, left, erased, no e-mail allowed) gets
no notice. Someone not known yet (their registry events still on their way) does: whether
they can be told is checked again, here and at the registry, when it is sent.
"""

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from chorus.contracts import feedback, opportunities
from chorus.envelope import Envelope
from chorus.store.database import Transaction
from notifications.people.application.directory import INVITATION_ENDED, Directory
from notifications.people.application.notices import Draft, Notices
from notifications.people.domain.notices import NoticeKind, wants_consultation
from notifications.people.tables import notices

SOMEONE = "One of the organisations in your network"
PURPOSE = 600  # characters of a consultation's purpose quoted in its notice


def invitation_reminder_key(invitation_id: UUID) -> str:
    return f"invitation-reminder:{invitation_id}"


def session_reminder_prefix(opportunity_id: UUID) -> str:
    return f"session-reminder:{opportunity_id}:"


class Telling:
    def __init__(self, notices: Notices, directory: Directory,
                 clock: Callable[[], datetime]) -> None:
        self.notices = notices
        self.directory = directory
        self.clock = clock

    async def apply(self, tx: Transaction, envelope: Envelope, event: object) -> None:
        told = Told(self, tx, envelope)
        match event:
            case opportunities.ParticipantInvited():
                await told.when_invited_tell_them(event)
            case opportunities.ParticipantStoodDown():
                await self.notices.cancel(
                    tx, "they gave up their seat", notices.c.participant_id ==
                    event.participant_id, notices.c.event_key.startswith(
                        session_reminder_prefix(event.opportunity_id)))
            case opportunities.OpportunityWithdrawn():
                await self.notices.cancel(tx, "the opportunity was withdrawn",
                                          notices.c.event_key.startswith(
                                              session_reminder_prefix(event.opportunity_id)))
            case opportunities.ExpensePaid() | opportunities.ExpenseAdvanced():
                await told.when_expense_paid_tell_them(event)
            case opportunities.InvolvementPaymentMade():
                await told.when_payment_made_tell_them(event)
            case feedback.ConsultationOpened():
                await told.when_consultation_opened_tell_those_it_suits(event)
            case feedback.ChangeMade():
                await told.when_change_made_tell_the_voices_behind_it(event)
            case _ if isinstance(event, INVITATION_ENDED):
                await self.notices.cancel(
                    tx, "the invitation was answered or ended",
                    notices.c.participant_id == event.participant_id,
                    notices.c.event_key == invitation_reminder_key(event.invitation_id))


class Told:
    """The policies for one event."""

    def __init__(self, telling: Telling, tx: Transaction, envelope: Envelope) -> None:
        self.directory = telling.directory
        self.notices = telling.notices
        self.tx = tx
        self.envelope = envelope
        self.now = telling.clock()

    async def when_invited_tell_them(self, event: opportunities.ParticipantInvited) -> None:
        facts = await self._offer(event.opportunity_id, event.organisation_id)
        await self._tell([event.participant_id], event.network_id, NoticeKind.INVITATION,
                         facts | {"expires_at": event.expires_at.isoformat()})

    async def when_expense_paid_tell_them(
            self, event: opportunities.ExpensePaid | opportunities.ExpenseAdvanced) -> None:
        if isinstance(event, opportunities.ExpenseAdvanced):
            facts = await self._offer(event.opportunity_id, event.organisation_id)
            kind = NoticeKind.EXPENSE_ADVANCED
        else:
            facts, kind = await self._by(event.organisation_id), NoticeKind.EXPENSE_PAID
        await self._tell([event.participant_id], event.network_id, kind,
                         facts | {"amount_pence": event.amount_pence})

    async def when_payment_made_tell_them(
            self, event: opportunities.InvolvementPaymentMade) -> None:
        if event.amount_pence == 0:
            return  # they chose not to take payment: nothing to tell
        facts = await self._offer(event.opportunity_id, event.organisation_id)
        await self._tell([event.participant_id], event.network_id, NoticeKind.PAYMENT_MADE,
                         facts | {"amount_pence": event.amount_pence})

    async def when_consultation_opened_tell_those_it_suits(
            self, event: feedback.ConsultationOpened) -> None:
        people = await self.directory.active_in(self.tx.conn, event.network_id)
        suited = [p.participant_id for p in people if wants_consultation(
            p, event.network_id, event.organisation_id, event.audience)]
        if not suited:
            return
        facts = await self._by(event.organisation_id) | {
            "title": event.title, "purpose": _shortened(event.purpose, PURPOSE),
            "closes_at": event.closes_at.isoformat()}
        await self._tell(suited, event.network_id, NoticeKind.CONSULTATION_OPENED, facts)

    async def when_change_made_tell_the_voices_behind_it(self, event: feedback.ChangeMade
                                                         ) -> None:
        names = await self.directory.organisation_names(
            self.tx.conn, [part.organisation_id for part in event.organisations])
        facts = {"title": event.title, "what_changed": event.what_changed,
                 "organisations": names or [SOMEONE.lower()],
                 "changed_on": event.changed_on.isoformat()}
        await self._tell(event.participant_ids, event.network_id, NoticeKind.CHANGE_MADE,
                         facts)

    async def _tell(self, participant_ids: Sequence[UUID], network_id: UUID, kind: NoticeKind,
                    facts: dict[str, Any]) -> None:
        known = await self.directory.people(self.tx.conn, participant_ids)
        for participant_id in participant_ids:
            person = known.get(participant_id)
            if person is not None and not person.may_be_told:
                continue
            await self.notices.add(self.tx, Draft(
                participant_id=participant_id, network_id=network_id,
                event_key=self.envelope.id, kind=kind, facts=facts, due_at=self.now,
                event_id=self.envelope.id, event_type=self.envelope.type))

    async def _by(self, organisation_id: UUID) -> dict[str, Any]:
        names = await self.directory.organisation_names(self.tx.conn, [organisation_id])
        return {"organisation": names[0] if names else SOMEONE}

    async def _offer(self, opportunity_id: UUID, organisation_id: UUID) -> dict[str, Any]:
        title = await self.directory.opportunity_title(self.tx.conn, opportunity_id)
        return await self._by(organisation_id) | {"opportunity": title}


def _shortened(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + "…"
