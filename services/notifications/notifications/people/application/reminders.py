"""Reminders made when their time comes, from what the directory holds now: an invitation
still unanswered `invitation_reminder_hours` before it lapses, and a session
`session_reminder_hours` before it starts for everyone holding a seat. Made from the current
state, a reminder follows a session moved or an invitation answered; one already made is
cancelled when what it is about ends, and checked again when it is sent.
"""

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.engine import RowMapping

from chorus.contracts import opportunities as offered
from chorus.store.database import Database, Transaction
from notifications.people.application.directory import Directory
from notifications.people.application.notices import Draft, Notices
from notifications.people.application.telling import (
    SOMEONE,
    invitation_reminder_key,
    session_reminder_prefix,
)
from notifications.people.domain.notices import NoticeKind
from notifications.people.tables import (
    invitations,
    opportunities,
    organisations,
    seats,
    sessions,
)


def session_reminder_key(row: RowMapping) -> str:
    return (f"{session_reminder_prefix(row['opportunity_id'])}{row['session_id']}:"
            f"{row['starts_at'].isoformat()}")


class Reminders:
    def __init__(self, db: Database, notices: Notices, directory: Directory, *,
                 invitation_hours: float, session_hours: float) -> None:
        self.db = db
        self.notices = notices
        self.directory = directory
        self.invitation_ahead = timedelta(hours=invitation_hours)
        self.session_ahead = timedelta(hours=session_hours)

    async def make_due(self, now: datetime) -> int:
        """Make the reminders whose time has come; how many were made."""
        async with self.db.snapshot() as tx:
            drafts = [*await self._invitations(tx, now), *await self._sessions(tx, now)]
            drafts = await self._not_yet_made(tx, drafts)
        if drafts:
            async with self.db.transaction() as tx:
                for draft in drafts:
                    await self.notices.add(tx, draft)
        return len(drafts)

    async def _invitations(self, tx: Transaction, now: datetime) -> list[Draft]:
        i = invitations
        rows = await tx.conn.execute(_offer_columns(
            select(i.c.invitation_id, i.c.participant_id, i.c.expires_at, i.c.event_id,
                   i.c.invited_at), i.c.opportunity_id).where(
            i.c.open.is_(True), i.c.expires_at > now,
            i.c.expires_at <= now + self.invitation_ahead))
        return [Draft(
            participant_id=row["participant_id"], network_id=None,
            event_key=invitation_reminder_key(row["invitation_id"]),
            kind=NoticeKind.INVITATION_REMINDER, facts=_facts(row) | {
                "expires_at": row["expires_at"].isoformat(),
                "invitation_id": str(row["invitation_id"])}, due_at=now,
            event_id=row["event_id"], event_type=offered.ParticipantInvited.event_type())
            for row in rows.mappings()
            # an offer shorter than the reminder's lead time was only just made: no reminder
            if row["invited_at"] < row["expires_at"] - self.invitation_ahead]

    async def _sessions(self, tx: Transaction, now: datetime) -> list[Draft]:
        rows = await tx.conn.execute(_offer_columns(
            select(seats.c.participant_id, seats.c.opportunity_id, seats.c.event_id,
                   sessions.c.session_id, sessions.c.starts_at).join(
                sessions, sessions.c.opportunity_id == seats.c.opportunity_id),
            seats.c.opportunity_id).where(
            sessions.c.starts_at > now, sessions.c.starts_at <= now + self.session_ahead))
        return [Draft(
            participant_id=row["participant_id"], network_id=None,
            event_key=session_reminder_key(row), kind=NoticeKind.SESSION_REMINDER,
            facts=_facts(row) | {"starts_at": row["starts_at"].isoformat(),
                                 "session_id": str(row["session_id"])}, due_at=now,
            event_id=row["event_id"], event_type=offered.ParticipantAssigned.event_type())
            for row in rows.mappings()]

    async def still_true(self, notice: Mapping[str, Any], now: datetime) -> bool:
        """Whether what a reminder is about still holds: the invitation is unanswered, the
        seat held and the session still to come. Other notices are always true."""
        kind, facts = notice["kind"], notice["facts"]
        if kind == NoticeKind.INVITATION_REMINDER:
            query: Select[Any] = select(invitations.c.open).where(
                invitations.c.invitation_id == UUID(facts["invitation_id"]),
                invitations.c.expires_at > now)
        elif kind == NoticeKind.SESSION_REMINDER:
            query = select(sessions.c.session_id).join(
                seats, seats.c.opportunity_id == sessions.c.opportunity_id).where(
                sessions.c.session_id == UUID(facts["session_id"]),
                seats.c.participant_id == notice["participant_id"],
                sessions.c.starts_at > now)
        else:
            return True
        async with self.db.snapshot() as tx:
            return bool((await tx.conn.execute(query)).scalar())

    async def _not_yet_made(self, tx: Transaction, drafts: list[Draft]) -> list[Draft]:
        if not drafts:
            return []
        people = await self.directory.people(tx.conn, {d.participant_id for d in drafts})
        made = await self.notices.known_keys(
            tx.conn, list({d.participant_id for d in drafts}), [d.event_key for d in drafts])
        return [replace(d, network_id=p.network_id) for d in drafts
                if (d.participant_id, d.event_key) not in made
                and (p := people.get(d.participant_id)) is not None and p.may_be_told]


def _offer_columns(query: Select[Any], opportunity_id: ColumnElement[Any]) -> Select[Any]:
    """The query, with the title of the opportunity and the name of its organisation."""
    return (query.add_columns(opportunities.c.title, organisations.c.name.label("organisation"))
            .outerjoin(opportunities, opportunities.c.opportunity_id == opportunity_id)
            .outerjoin(organisations,
                       organisations.c.organisation_id == opportunities.c.organisation_id))


def _facts(row: RowMapping) -> dict[str, object]:
    return {"opportunity": row["title"], "organisation": row["organisation"] or SOMEONE}
