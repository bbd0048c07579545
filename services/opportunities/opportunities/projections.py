"""Read models rebuilt from the opportunities service's own store.

- `Listing`: opportunities as people browse them, with their topics for filtering.
- `InvolvementRecord`: each person's invitations, sessions, expenses and payments across
  every organisation, and each organisation's expenses to approve and pay.
"""

from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from chorus.contracts.vocabulary import ParticipantStatus
from chorus.repository import EventCodec
from chorus.store import RecordedEvent
from chorus.store.database import Transaction
from chorus.store.types import UtcDateTime
from opportunities.domain import expenses as e
from opportunities.domain import opportunity as o
from opportunities.tables import pool_members

metadata = MetaData()

listing = Table(
    "opportunity_listing", metadata,
    Column("opportunity_id", Uuid, primary_key=True),
    Column("organisation_id", Uuid, nullable=False, index=True),
    Column("network_id", Uuid, nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("stage", String(20), nullable=False),
    Column("online", Boolean, nullable=False),
    Column("status", String(20), nullable=False),
    Column("closing_date", Date, nullable=False),
    Column("seats", Integer, nullable=False),
    Column("assigned", Integer, nullable=False),
    Column("published_at", UtcDateTime(), nullable=False, index=True),
    Column("details", JSON, nullable=False),
)

listing_topics = Table(
    "opportunity_listing_topics", metadata,
    Column("opportunity_id", Uuid, primary_key=True),
    Column("topic", String(40), primary_key=True, index=True),
)

record_invitations = Table(
    "record_invitations", metadata,
    Column("invitation_id", Uuid, primary_key=True),
    Column("participant_id", Uuid, nullable=False, index=True),
    Column("opportunity_id", Uuid, nullable=False),
    Column("organisation_id", Uuid, nullable=False),
    Column("status", String(20), nullable=False),
    Column("invited_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("changed_at", UtcDateTime(), nullable=False),
)

record_sessions = Table(
    "record_sessions", metadata,
    Column("session_id", Uuid, primary_key=True),
    Column("participant_id", Uuid, primary_key=True, index=True),
    Column("opportunity_id", Uuid, nullable=False),
    Column("organisation_id", Uuid, nullable=False),
    Column("stage", String(20), nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("minutes", Integer, nullable=False),
)

record_expenses = Table(
    "record_expenses", metadata,
    Column("expense_id", Uuid, primary_key=True),
    Column("participant_id", Uuid, nullable=False, index=True),
    Column("organisation_id", Uuid, nullable=False, index=True),
    Column("opportunity_id", Uuid, nullable=False),
    Column("session_id", Uuid, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("amount_pence", Integer, nullable=False),
    Column("miles", Integer, nullable=True),
    Column("status", String(20), nullable=False),
    Column("claimed_at", UtcDateTime(), nullable=False),
    Column("paid_at", UtcDateTime(), nullable=True),
    Column("days_to_payment", Integer, nullable=True),
)

record_payments = Table(
    "record_payments", metadata,
    Column("payment_id", Uuid, primary_key=True),
    Column("participant_id", Uuid, nullable=False, index=True),
    Column("organisation_id", Uuid, nullable=False),
    Column("opportunity_id", Uuid, nullable=False),
    Column("session_id", Uuid, nullable=False),
    Column("minutes", Integer, nullable=False),
    Column("amount_due_pence", Integer, nullable=False),
    Column("amount_paid_pence", Integer, nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("made_at", UtcDateTime(), nullable=False),
)


class Listing:
    """Opportunities as people browse them."""

    name = "listing"
    tables = (listing, listing_topics)

    def __init__(self, codec: EventCodec) -> None:
        self.codec = codec

    async def apply(self, tx: Transaction, event: RecordedEvent) -> None:
        if event.stream_type != o.Opportunity.stream_type:
            return
        conn = tx.conn
        match self.codec.decode(event):
            case o.OpportunityPublished() as published:
                details = published.details
                await conn.execute(insert(listing).values(
                    opportunity_id=published.opportunity_id,
                    organisation_id=published.organisation_id,
                    network_id=published.network_id, status="open", assigned=0,
                    published_at=published.published_at, **_listed(details),
                    details=event.data["details"]))
                await self._topics(tx, published.opportunity_id, details)
            case o.OpportunityUpdated() as updated:
                await conn.execute(update(listing).where(
                    listing.c.opportunity_id == updated.opportunity_id).values(
                    **_listed(updated.details), details=event.data["details"]))
                await self._topics(tx, updated.opportunity_id, updated.details)
            case o.OpportunityWithdrawn() | o.OpportunityClosed() as ended:
                status = "withdrawn" if isinstance(ended, o.OpportunityWithdrawn) else "closed"
                await conn.execute(update(listing).where(
                    listing.c.opportunity_id == ended.opportunity_id).values(status=status))
            case o.ParticipantAssigned() | o.ParticipantStoodDown() as seat:
                step = 1 if isinstance(seat, o.ParticipantAssigned) else -1
                await conn.execute(update(listing).where(
                    listing.c.opportunity_id == seat.opportunity_id).values(
                    assigned=listing.c.assigned + step))

    async def _topics(self, tx: Transaction, opportunity_id: Any, details: Any) -> None:
        await tx.conn.execute(delete(listing_topics).where(
            listing_topics.c.opportunity_id == opportunity_id))
        if details.topics:
            await tx.conn.execute(insert(listing_topics), [
                {"opportunity_id": opportunity_id, "topic": str(t)} for t in details.topics])


def _listed(details: Any) -> dict[str, Any]:
    return {"kind": str(details.kind), "stage": str(details.stage), "online": details.online,
            "closing_date": details.closing_date, "seats": details.seats}


INVITATION_STATUS = {
    o.InvitationDeclined: "declined", o.InvitationExpired: "expired",
    o.InvitationWithdrawn: "withdrawn", o.ParticipantAssigned: "assigned",
    o.ParticipantStoodDown: "stood_down",
}


class InvolvementRecord:
    """Each person's involvement across every organisation, and what is owed to them."""

    name = "involvement_record"
    tables = (record_invitations, record_sessions, record_expenses, record_payments)

    def __init__(self, codec: EventCodec) -> None:
        self.codec = codec

    async def apply(self, tx: Transaction, event: RecordedEvent) -> None:
        if event.event_type == "RateCardSet":
            return
        conn = tx.conn
        decoded = self.codec.decode(event)
        if await _about_someone_erased(conn, decoded):
            return  # a rebuild brings back nothing of a person erased since
        match decoded:
            case o.ParticipantInvited():
                await conn.execute(insert(record_invitations).values(
                    invitation_id=decoded.invitation_id, participant_id=decoded.participant_id,
                    opportunity_id=decoded.opportunity_id,
                    organisation_id=decoded.organisation_id, status="invited",
                    invited_at=decoded.invited_at, expires_at=decoded.expires_at,
                    changed_at=decoded.invited_at))
            case o.InvitationAccepted(waitlisted=True):
                await self._invitation(tx, decoded.invitation_id, "waitlisted",
                                       decoded.accepted_at)
            case o.InvitationEvent() if type(decoded) in INVITATION_STATUS:
                await self._invitation(tx, decoded.invitation_id,
                                       INVITATION_STATUS[type(decoded)], event.recorded_at)
            case o.SessionHeld():
                erased = await _erased(conn, [a.participant_id for a in decoded.attendance])
                attended = [a for a in decoded.attendance if a.participant_id not in erased]
                if attended:
                    await conn.execute(insert(record_sessions), [{
                        "session_id": decoded.session_id, "participant_id": a.participant_id,
                        "opportunity_id": decoded.opportunity_id,
                        "organisation_id": decoded.organisation_id,
                        "stage": str(decoded.stage), "starts_at": decoded.starts_at,
                        "minutes": a.minutes} for a in attended])
            case o.InvolvementPaymentMade():
                await conn.execute(insert(record_payments).values(
                    payment_id=decoded.payment_id, participant_id=decoded.participant_id,
                    organisation_id=decoded.organisation_id,
                    opportunity_id=decoded.opportunity_id, session_id=decoded.session_id,
                    minutes=decoded.minutes, amount_due_pence=decoded.amount_due_pence,
                    amount_paid_pence=decoded.amount_paid_pence, outcome=decoded.outcome,
                    made_at=decoded.made_at))
            case e.ExpenseClaimed() | e.ExpenseAdvanced():
                claimed = isinstance(decoded, e.ExpenseClaimed)
                at = decoded.claimed_at if claimed else decoded.advanced_at  # type: ignore[union-attr]
                await conn.execute(insert(record_expenses).values(
                    expense_id=decoded.expense_id, participant_id=decoded.participant_id,
                    organisation_id=decoded.organisation_id,
                    opportunity_id=decoded.opportunity_id, session_id=decoded.session_id,
                    kind=str(decoded.kind), amount_pence=decoded.amount_pence,
                    miles=decoded.miles if claimed else None,  # type: ignore[union-attr]
                    status="claimed" if claimed else "advanced", claimed_at=at,
                    paid_at=None if claimed else at, days_to_payment=None if claimed else 0))
            case e.ExpenseApproved() | e.ExpenseRejected():
                status = "approved" if isinstance(decoded, e.ExpenseApproved) else "rejected"
                await conn.execute(update(record_expenses).where(
                    record_expenses.c.expense_id == decoded.expense_id).values(status=status))
            case e.ExpensePaid():
                await conn.execute(update(record_expenses).where(
                    record_expenses.c.expense_id == decoded.expense_id).values(
                    status="paid", paid_at=decoded.paid_at,
                    days_to_payment=decoded.days_to_payment))

    async def _invitation(self, tx: Transaction, invitation_id: Any, status: str,
                          at: Any) -> None:
        await tx.conn.execute(update(record_invitations).where(
            record_invitations.c.invitation_id == invitation_id).values(
            status=status, changed_at=at))


async def forget_record(tx: Transaction, participant_id: object) -> None:
    """Someone was erased: their involvement record goes (the events keep only their id)."""
    for table in InvolvementRecord.tables:
        await tx.conn.execute(delete(table).where(table.c.participant_id == participant_id))


async def _erased(conn: AsyncConnection, participant_ids: list[UUID]) -> set[UUID]:
    rows = await conn.execute(select(pool_members.c.participant_id).where(
        pool_members.c.participant_id.in_(participant_ids),
        pool_members.c.status == ParticipantStatus.ERASED))
    return {UUID(str(r)) for r in rows.scalars()}


async def _about_someone_erased(conn: AsyncConnection, event: object) -> bool:
    participant_id = getattr(event, "participant_id", None)
    if participant_id is None:
        return False
    found = await conn.execute(select(pool_members.c.status).where(
        pool_members.c.participant_id == participant_id))
    return found.scalar() == ParticipantStatus.ERASED
