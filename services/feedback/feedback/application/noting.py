"""Noting the opportunities service's facts in this service's own store, as they arrive.

The accountability metrics need the stage of each opportunity, who attended its sessions,
invitations sent and declined, and how long expenses took to pay. Noting them as events
here (in the inbox's transaction) lets the metrics be rebuilt from one log, the same way on
every replay. Nothing noted is published again.
"""

from typing import Any
from uuid import UUID

from chorus.contracts import UnknownEventType, parse_event
from chorus.contracts import opportunities as events
from chorus.domain import DomainEvent
from chorus.envelope import Envelope
from chorus.repository import EventCodec
from chorus.store import EventStore
from chorus.store.database import Transaction
from feedback.domain import EVENT_TYPES
from feedback.domain import noted as n


class Noting:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.codec = EventCodec(EVENT_TYPES)

    async def handle(self, tx: Transaction, envelope: Envelope) -> None:
        """Note one opportunities event, if the metrics need it."""
        try:
            event = parse_event(envelope.type, envelope.data)
        except UnknownEventType:
            return
        noted = note(event)
        if noted is not None:
            about, fact = noted
            await self.append(tx, about, fact)

    async def append(self, tx: Transaction, about: UUID, fact: DomainEvent) -> None:
        stream = f"noted-{about}"
        version = await self.store.stream_version(tx, stream)
        await self.store.append(tx, stream, n.NOTED_STREAM_TYPE, version,
                                [self.codec.encode(fact)])


def note(event: object) -> tuple[UUID, DomainEvent] | None:
    """The fact worth noting in an opportunities event, and what it is about; or None."""
    match event:
        case events.OpportunityPublished() | events.OpportunityUpdated():
            at = (event.published_at if isinstance(event, events.OpportunityPublished)
                  else event.updated_at)
            return event.opportunity_id, n.OpportunityNoted(
                **_org(event), opportunity_id=event.opportunity_id, stage=event.stage, at=at)
        case events.OpportunityWithdrawn():
            return event.opportunity_id, n.OpportunityWithdrawalNoted(
                **_org(event), opportunity_id=event.opportunity_id, at=event.withdrawn_at)
        case events.SessionHeld():
            return event.opportunity_id, n.AttendanceNoted(
                **_org(event), opportunity_id=event.opportunity_id, session_id=event.session_id,
                stage=event.stage, participant_ids=tuple(a.participant_id
                                                         for a in event.attendance),
                at=event.ends_at)
        case events.ParticipantInvited():
            return event.invitation_id, n.InvitationNoted(
                **_org(event), invitation_id=event.invitation_id, declined=False,
                at=event.invited_at)
        case events.InvitationDeclined():
            return event.invitation_id, n.InvitationNoted(
                **_org(event), invitation_id=event.invitation_id, declined=True,
                at=event.declined_at)
        case events.ExpensePaid():
            return event.expense_id, n.ExpensePaymentNoted(
                **_org(event), expense_id=event.expense_id,
                days_to_payment=event.days_to_payment, at=event.paid_at)
    return None


def _org(event: Any) -> dict[str, UUID]:
    return {"organisation_id": event.organisation_id, "network_id": event.network_id}
