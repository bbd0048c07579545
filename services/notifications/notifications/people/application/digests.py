"""Digests: for someone who asked for a daily or weekly one, the notices that waited are
gathered into one e-mail at `digest_hour` local time (weekly: on Mondays). One digest per
person across every organisation of their network, never one per organisation.

A digest is itself a notice (kind `digest`) keyed by its due time, so a person gets at most
one per due time; it is then sent like any other notice, after quiet hours if it falls in
them. The notices it gathered are sent (or skipped, or failed) with it.
"""

from datetime import datetime
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from sqlalchemy import select

from chorus.contracts.vocabulary import Frequency
from chorus.store.database import Database
from notifications.people.application.notices import Draft, Notices, told
from notifications.people.domain.notices import NoticeKind, NoticeStatus
from notifications.people.domain.preferences import latest_digest_time
from notifications.people.tables import notices, preferences


class Digests:
    def __init__(self, db: Database, notices: Notices, *, hour: int, zone: ZoneInfo) -> None:
        self.db = db
        self.notices = notices
        self.hour = hour
        self.zone = zone

    async def gather_due(self, now: datetime) -> int:
        """Make the digests due by `now`; how many were made."""
        made = 0
        for frequency in (Frequency.DAILY, Frequency.WEEKLY):
            due = latest_digest_time(now, frequency, self.hour, self.zone)
            for participant_id, network_id in await self._waiting(frequency, due):
                made += await self._gather(participant_id, network_id, frequency, due, now)
        return made

    async def _waiting(self, frequency: Frequency,
                       due: datetime) -> list[tuple[UUID, UUID | None]]:
        """Who, wanting digests this often, has notices waiting from before `due`."""
        query = select(notices.c.participant_id, notices.c.network_id).distinct().join(
            preferences, preferences.c.participant_id == notices.c.participant_id).where(
            preferences.c.frequency == frequency, notices.c.status == NoticeStatus.PENDING,
            notices.c.digestible.is_(True), notices.c.due_at <= due)
        async with self.db.snapshot() as tx:
            return [(row[0], row[1]) for row in await tx.conn.execute(query)]

    async def _gather(self, participant_id: UUID, network_id: UUID | None,
                      frequency: Frequency, due: datetime, now: datetime) -> int:
        async with self.db.transaction() as tx:
            waiting = await self.notices.waiting(tx, participant_id, due)
            if not waiting:
                return 0
            network = network_id or next(
                (n["network_id"] for n in waiting if n["network_id"]), None)
            wording = self.notices.letters.digest(frequency, told(waiting))
            draft = Draft(participant_id=participant_id, network_id=network,
                          event_key=f"digest:{frequency}:{due.isoformat()}",
                          kind=NoticeKind.DIGEST, due_at=now, notice_id=uuid4(), facts={
                              "frequency": frequency, "notices": len(waiting)})
            if not await self.notices.add(tx, draft, wording=wording):
                return 0  # this due time's digest went already
            await self.notices.gather(tx, draft.notice_id, [n["notice_id"] for n in waiting])
        return 1
