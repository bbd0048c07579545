"""Keeping the write-side tables in step with an opportunity's new events, in its transaction.

`invitation_index` finds an invitation by id and a person's open invitations; `involvements`
feeds fair matching. Both change in the transaction that stores the events, so neither can
drift from the store.
"""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert, update

from chorus.domain import DomainEvent
from chorus.store.database import Transaction
from opportunities.domain import opportunity as o
from opportunities.tables import invitation_index, involvements, pool_clock

STATUS_AFTER = {
    o.InvitationDeclined: o.InvitationStatus.DECLINED,
    o.InvitationExpired: o.InvitationStatus.EXPIRED,
    o.InvitationWithdrawn: o.InvitationStatus.WITHDRAWN,
    o.ParticipantAssigned: o.InvitationStatus.ASSIGNED,
    o.ParticipantStoodDown: o.InvitationStatus.STOOD_DOWN,
}


async def next_seq(tx: Transaction) -> int:
    """The next number of the pool's clock; the row stays locked until this commits."""
    result = await tx.conn.execute(update(pool_clock).where(pool_clock.c.id == 1)
                                   .values(seq=pool_clock.c.seq + 1).returning(pool_clock.c.seq))
    return int(result.scalar_one())


async def keep_in_step(tx: Transaction, events: Sequence[DomainEvent]) -> None:
    for event in events:
        match event:
            case o.ParticipantInvited():
                await tx.conn.execute(insert(invitation_index).values(
                    invitation_id=event.invitation_id, opportunity_id=event.opportunity_id,
                    participant_id=event.participant_id, status=o.InvitationStatus.INVITED,
                    expires_at=event.expires_at))
            case o.InvitationAccepted(waitlisted=True):
                await _set(tx, event.invitation_id, o.InvitationStatus.WAITLISTED)
            case o.ParticipantAssigned():
                await _set(tx, event.invitation_id, o.InvitationStatus.ASSIGNED)
                await _involved(tx, event, event.assigned_at)
            case o.InvitationEvent() if type(event) in STATUS_AFTER:
                await _set(tx, event.invitation_id, STATUS_AFTER[type(event)])


async def _set(tx: Transaction, invitation_id: object, status: o.InvitationStatus) -> None:
    await tx.conn.execute(update(invitation_index)
                          .where(invitation_index.c.invitation_id == invitation_id)
                          .values(status=status))


async def _involved(tx: Transaction, event: o.ParticipantAssigned, at: datetime) -> None:
    await tx.conn.execute(insert(involvements).values(
        invitation_id=event.invitation_id, participant_id=event.participant_id,
        network_id=event.network_id, assigned_at=at, seq=await next_seq(tx)))


async def forget_involvements(tx: Transaction, participant_id: object) -> None:
    await tx.conn.execute(delete(involvements)
                          .where(involvements.c.participant_id == participant_id))
