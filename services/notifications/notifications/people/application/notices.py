"""The notices table: made at most once each, claimed before sending, then closed.

The unique key (participant, event, channel) makes a notice at most once however often its
event arrives. A notice is claimed (status `sending`) in a committed transaction before its
e-mail goes, so no other step and no later run sends it again.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from chorus.contracts.vocabulary import Frequency
from chorus.store.database import Database, Transaction
from notifications.people.adapters.letters import Letters, Told, Wording
from notifications.people.domain.notices import NEVER_HELD, NoticeKind, NoticeStatus
from notifications.people.domain.preferences import Channel
from notifications.people.tables import notices, preferences

BATCH = 100
REASON = 200


@dataclass(frozen=True)
class Draft:
    """A notice about to be made. `event_key` names what it is about, once per person."""

    participant_id: UUID
    network_id: UUID | None
    event_key: str
    kind: NoticeKind
    facts: Mapping[str, Any]
    due_at: datetime
    event_id: str | None = None
    event_type: str | None = None
    notice_id: UUID = field(default_factory=uuid4)


class Notices:
    def __init__(self, db: Database, letters: Letters) -> None:
        self.db = db
        self.letters = letters

    async def add(self, tx: Transaction, draft: Draft, *,
                  status: NoticeStatus = NoticeStatus.PENDING, attempts: int = 0,
                  secret: Mapping[str, Any] | None = None,
                  wording: Wording | None = None,
                  claimed_until: datetime | None = None) -> bool:
        """Make the notice unless this person already has one about this; True if made.
        `secret` facts (a sign-in code) are shown as hidden in the kept words."""
        if wording is None:
            hidden = {name: "(not shown here)" for name in secret or {}}
            wording = self.letters.wording(draft.kind, {**draft.facts, **hidden})
        insert = pg_insert if self.db.is_postgres else sqlite_insert
        result = await tx.conn.execute(insert(notices).values(
            notice_id=draft.notice_id, participant_id=draft.participant_id,
            network_id=draft.network_id, event_key=draft.event_key, channel=Channel.EMAIL,
            kind=draft.kind, event_id=draft.event_id, event_type=draft.event_type,
            digestible=draft.kind not in NEVER_HELD, facts=dict(draft.facts),
            title=wording.title[:300], text=wording.text, status=status, due_at=draft.due_at,
            attempts=attempts, digest_id=None, reason=None, created_at=draft.due_at,
            sent_at=None, claimed_until=claimed_until).on_conflict_do_nothing())
        return bool(result.rowcount)

    async def cancel(self, tx: Transaction, reason: str, *conditions: Any) -> None:
        """Cancel the pending notices that match (what they were about has ended)."""
        await tx.conn.execute(update(notices).where(
            notices.c.status == NoticeStatus.PENDING, *conditions).values(
            status=NoticeStatus.CANCELLED, reason=reason[:REASON]))

    async def known_keys(self, conn: AsyncConnection, participant_ids: Sequence[UUID],
                         keys: Sequence[str]) -> set[tuple[UUID, str]]:
        rows = await conn.execute(select(notices.c.participant_id, notices.c.event_key).where(
            notices.c.participant_id.in_(list(participant_ids)),
            notices.c.event_key.in_(list(keys))))
        return {(row.participant_id, row.event_key) for row in rows}

    async def due(self, now: datetime) -> list[dict[str, Any]]:
        """Pending notices due by now that go one by one (not held for a digest), with the
        person's quiet hours."""
        held = preferences.c.frequency.in_([Frequency.DAILY, Frequency.WEEKLY])
        query = (select(notices, preferences.c.quiet_start, preferences.c.quiet_end)
                 .outerjoin(preferences,
                            preferences.c.participant_id == notices.c.participant_id)
                 .where(notices.c.status == NoticeStatus.PENDING, notices.c.due_at <= now,
                        ~(notices.c.digestible & func.coalesce(held, False)))
                 .order_by(notices.c.due_at).limit(BATCH))
        async with self.db.snapshot() as tx:
            return [dict(row) for row in (await tx.conn.execute(query)).mappings()]

    async def defer(self, notice_id: UUID, until: datetime) -> None:
        async with self.db.transaction() as tx:
            await tx.conn.execute(update(notices).where(
                notices.c.notice_id == notice_id,
                notices.c.status == NoticeStatus.PENDING).values(due_at=until))

    async def claim(self, notice_id: UUID, until: datetime) -> bool:
        """Take the notice to send it, until `until` at the latest; False if another step
        (of this process or another) took it first."""
        async with self.db.transaction() as tx:
            result = await tx.conn.execute(update(notices).where(
                notices.c.notice_id == notice_id,
                notices.c.status == NoticeStatus.PENDING).values(
                status=NoticeStatus.SENDING, attempts=notices.c.attempts + 1,
                claimed_until=until))
        return bool(result.rowcount)

    async def close(self, tx: Transaction, notice: Mapping[str, Any], status: NoticeStatus, *,
                    reason: str | None = None, sent_at: datetime | None = None) -> None:
        """Close a claimed notice, and the notices its digest gathered."""
        values = {"status": status, "reason": reason[:REASON] if reason else None,
                  "sent_at": sent_at}
        await tx.conn.execute(update(notices).where(
            notices.c.notice_id == notice["notice_id"]).values(values))
        if notice["kind"] == NoticeKind.DIGEST:
            await tx.conn.execute(update(notices).where(
                notices.c.digest_id == notice["notice_id"]).values(values))

    async def retry(self, tx: Transaction, notice_id: UUID, at: datetime, reason: str) -> None:
        await tx.conn.execute(update(notices).where(notices.c.notice_id == notice_id).values(
            status=NoticeStatus.PENDING, due_at=at, reason=reason[:REASON]))

    async def mark_uncertain(self, now: datetime) -> int:
        """Notices left `sending` past their claim by a process that stopped between sending
        and recording: whether they went is not known, and they are not sent again. A claim
        still running belongs to a live process (this one or another instance) and is left
        alone."""
        async with self.db.transaction() as tx:
            stuck = list((await tx.conn.execute(select(notices.c.notice_id).where(
                notices.c.status == NoticeStatus.SENDING,
                or_(notices.c.claimed_until.is_(None), notices.c.claimed_until < now)))
            ).scalars())
            if not stuck:
                return 0
            values = {"status": NoticeStatus.UNCERTAIN,
                      "reason": "the service stopped while sending; not sent again"}
            await tx.conn.execute(update(notices).where(
                notices.c.notice_id.in_(stuck),
                notices.c.status == NoticeStatus.SENDING).values(values))
            await tx.conn.execute(update(notices).where(
                notices.c.digest_id.in_(stuck)).values(values))
        return len(stuck)

    async def gathered(self, digest_id: UUID) -> list[Told]:
        """What a digest tells, oldest first."""
        async with self.db.snapshot() as tx:
            rows = await tx.conn.execute(select(notices).where(
                notices.c.digest_id == digest_id).order_by(notices.c.created_at))
            return [_told(row) for row in rows.mappings()]

    async def waiting(self, tx: Transaction, participant_id: UUID,
                      until: datetime) -> list[RowMapping]:
        """A person's notices waiting for their digest, due by `until`."""
        rows = await tx.conn.execute(select(notices).where(
            notices.c.participant_id == participant_id,
            notices.c.status == NoticeStatus.PENDING, notices.c.digestible.is_(True),
            notices.c.due_at <= until).order_by(notices.c.created_at))
        return list(rows.mappings())

    async def gather(self, tx: Transaction, digest_id: UUID,
                     notice_ids: Sequence[UUID]) -> None:
        await tx.conn.execute(update(notices).where(notices.c.notice_id.in_(
            list(notice_ids))).values(status=NoticeStatus.GATHERED, digest_id=digest_id))

    async def inbox(self, participant_id: UUID, limit: int,
                    offset: int) -> tuple[int, list[RowMapping]]:
        """A person's notices, newest first: what they were told or will be. Digests (which
        only carry other notices) and cancelled notices are left out."""
        conditions = (notices.c.participant_id == participant_id,
                      notices.c.kind != NoticeKind.DIGEST,
                      notices.c.status != NoticeStatus.CANCELLED)
        async with self.db.snapshot() as tx:
            total = (await tx.conn.execute(select(func.count()).select_from(notices).where(
                *conditions))).scalar_one()
            rows = await tx.conn.execute(select(notices).where(*conditions).order_by(
                notices.c.created_at.desc(), notices.c.notice_id).limit(limit).offset(offset))
            return int(total), list(rows.mappings())


def told(rows: Sequence[RowMapping]) -> list[Told]:
    return [_told(row) for row in rows]


def _told(row: RowMapping) -> Told:
    return Told(kind=NoticeKind(row["kind"]), facts=row["facts"], title=row["title"],
                text=row["text"])
