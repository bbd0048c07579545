"""The region as the people half knows it, kept from other services' public events in the
inbox's transaction: participants (status, consent, kinds wanted), organisation names,
opportunity titles and sessions, seats, and open invitations. No name of a person and no
contact detail is ever kept here.

Erasure is final: an erased participant's preferences, notices, seats and invitations are
deleted, and no later event brings anything back.
"""

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from chorus.contracts import opportunities as offered
from chorus.contracts import registry
from chorus.contracts.vocabulary import ConsentScope, ParticipantStatus
from chorus.store.database import Transaction
from notifications.people.domain.notices import Person
from notifications.people.tables import (
    invitations,
    notices,
    opportunities,
    organisations,
    participants,
    preferences,
    seats,
    sessions,
)

INVITATION_ENDED = (offered.InvitationAccepted, offered.InvitationDeclined,
                    offered.InvitationExpired, offered.InvitationWithdrawn)


class Directory:
    async def apply(self, tx: Transaction, event: object, event_id: str) -> None:
        """Note what this event says about the region."""
        await self._people(tx, event)
        await self._offers(tx, event, event_id)

    async def _people(self, tx: Transaction, event: object) -> None:
        match event:
            case registry.OrganisationJoined():
                await _replace(tx, organisations, "organisation_id", event.organisation_id,
                               network_id=event.network_id, name=event.name)
            case registry.ParticipantJoined():
                await self._set(tx, event.participant_id, event.network_id)
            case registry.ConsentChanged():
                await self._set(tx, event.participant_id, event.network_id,
                                contact_channels=sorted(event.contact_channels),
                                scope=event.scope, organisation_ids=[
                                    str(o) for o in event.organisation_ids])
            case registry.ProfileUpdated():
                await self._set(tx, event.participant_id, event.network_id,
                                kinds_wanted=sorted(event.kinds_wanted))
            case registry.ParticipantPaused():
                await self._set(tx, event.participant_id, event.network_id,
                                status=ParticipantStatus.PAUSED)
            case registry.ParticipantResumed():
                await self._set(tx, event.participant_id, event.network_id,
                                status=ParticipantStatus.ACTIVE)
            case registry.ParticipantLeft():
                await self._set(tx, event.participant_id, event.network_id,
                                status=ParticipantStatus.LEFT)
            case registry.ParticipantErased():
                await self._erase(tx, event.participant_id, event.network_id)

    async def _offers(self, tx: Transaction, event: object, event_id: str) -> None:
        match event:
            case offered.OpportunityPublished() | offered.OpportunityUpdated():
                await _replace(tx, opportunities, "opportunity_id", event.opportunity_id,
                               organisation_id=event.organisation_id,
                               network_id=event.network_id, title=event.title)
                await _run(tx, delete(sessions).where(
                    sessions.c.opportunity_id == event.opportunity_id))
                await _many(tx, sessions, [
                    {"session_id": s.session_id, "opportunity_id": event.opportunity_id,
                     "starts_at": s.starts_at} for s in event.sessions])
            case offered.OpportunityWithdrawn():
                await _run(tx, delete(sessions).where(
                    sessions.c.opportunity_id == event.opportunity_id))
            case offered.ParticipantInvited():
                await _replace(tx, invitations, "invitation_id", event.invitation_id,
                               opportunity_id=event.opportunity_id,
                               participant_id=event.participant_id, open=True,
                               invited_at=event.invited_at, expires_at=event.expires_at,
                               event_id=event_id)
            case offered.ParticipantAssigned():
                await _run(tx, delete(seats).where(*_seat(event)))
                await _run(tx, insert(seats).values(
                    opportunity_id=event.opportunity_id, participant_id=event.participant_id,
                    event_id=event_id))
            case offered.ParticipantStoodDown():
                await _run(tx, delete(seats).where(*_seat(event)))
            case _ if isinstance(event, INVITATION_ENDED):
                await _run(tx, update(invitations).where(
                    invitations.c.invitation_id == event.invitation_id).values(open=False))

    async def _set(self, tx: Transaction, participant_id: UUID, network_id: UUID,
                   **values: Any) -> None:
        status = (await tx.conn.execute(select(participants.c.status).where(
            participants.c.participant_id == participant_id))).scalar()
        if status == ParticipantStatus.ERASED:
            return  # erasure is final; a late event must not bring anything back
        if status is None:
            await tx.conn.execute(insert(participants).values(
                participant_id=participant_id, network_id=network_id,
                status=ParticipantStatus.ACTIVE, contact_channels=[],
                scope=ConsentScope.NETWORK, organisation_ids=[], kinds_wanted=[]))
        if values:
            await tx.conn.execute(update(participants).where(
                participants.c.participant_id == participant_id).values(**values))

    async def _erase(self, tx: Transaction, participant_id: UUID, network_id: UUID) -> None:
        await self._set(tx, participant_id, network_id, status=ParticipantStatus.ERASED,
                        contact_channels=[], scope=ConsentScope.NETWORK, organisation_ids=[],
                        kinds_wanted=[])
        for table in (preferences, notices, seats, invitations):
            await tx.conn.execute(delete(table).where(table.c.participant_id == participant_id))

    async def person(self, conn: AsyncConnection, participant_id: UUID) -> Person | None:
        row = (await conn.execute(select(participants).where(
            participants.c.participant_id == participant_id))).mappings().first()
        return None if row is None else _person(row)

    async def people(self, conn: AsyncConnection, participant_ids: Iterable[UUID]
                     ) -> dict[UUID, Person]:
        rows = await conn.execute(select(participants).where(
            participants.c.participant_id.in_(list(participant_ids))))
        return {row["participant_id"]: _person(row) for row in rows.mappings()}

    async def active_in(self, conn: AsyncConnection, network_id: UUID) -> list[Person]:
        rows = await conn.execute(select(participants).where(
            participants.c.network_id == network_id,
            participants.c.status == ParticipantStatus.ACTIVE))
        return [_person(row) for row in rows.mappings()]

    async def organisation_names(self, conn: AsyncConnection,
                                 organisation_ids: Sequence[UUID]) -> list[str]:
        """The names of these organisations that are known, in the order asked."""
        rows = await conn.execute(select(organisations.c.organisation_id,
                                         organisations.c.name).where(
            organisations.c.organisation_id.in_(list(organisation_ids))))
        names = {row.organisation_id: row.name for row in rows}
        return [names[o] for o in organisation_ids if o in names]

    async def opportunity_title(self, conn: AsyncConnection, opportunity_id: UUID) -> str | None:
        return (await conn.execute(select(opportunities.c.title).where(
            opportunities.c.opportunity_id == opportunity_id))).scalar()


def _person(row: Any) -> Person:
    return Person(participant_id=row["participant_id"], network_id=row["network_id"],
                  status=ParticipantStatus(row["status"]),
                  contact_channels=frozenset(row["contact_channels"]),
                  scope=ConsentScope(row["scope"]),
                  organisation_ids=frozenset(UUID(o) for o in row["organisation_ids"]),
                  kinds_wanted=frozenset(row["kinds_wanted"]))


def _seat(event: Any) -> tuple[Any, ...]:
    return (seats.c.opportunity_id == event.opportunity_id,
            seats.c.participant_id == event.participant_id)


async def _replace(tx: Transaction, table: Any, key: str, value: UUID, **values: Any) -> None:
    await tx.conn.execute(delete(table).where(table.c[key] == value))
    await tx.conn.execute(insert(table).values({key: value, **values}))


async def _run(tx: Transaction, statement: Any) -> None:
    await tx.conn.execute(statement)


async def _many(tx: Transaction, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        await tx.conn.execute(insert(table), rows)
