"""Each participant's notification preferences; someone who never set any has the defaults
(e-mail, at once, no quiet hours)."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import delete, insert, select

from chorus.contracts.vocabulary import Frequency
from chorus.store.database import Database
from notifications.people.domain.preferences import Channel, Preferences, QuietHours
from notifications.people.tables import preferences


class PreferenceBook:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, participant_id: UUID) -> tuple[Preferences, datetime | None]:
        """Their preferences, and when they last changed them (None: never)."""
        async with self.db.snapshot() as tx:
            row = (await tx.conn.execute(select(preferences).where(
                preferences.c.participant_id == participant_id))).mappings().first()
        if row is None:
            return Preferences(), None
        quiet = (QuietHours(row["quiet_start"], row["quiet_end"])
                 if row["quiet_start"] is not None and row["quiet_end"] is not None else None)
        return Preferences(Channel(row["channel"]), Frequency(row["frequency"]),
                           quiet), row["updated_at"]

    async def set(self, participant_id: UUID, chosen: Preferences, now: datetime) -> None:
        quiet = chosen.quiet_hours
        async with self.db.transaction() as tx:
            await tx.conn.execute(delete(preferences).where(
                preferences.c.participant_id == participant_id))
            await tx.conn.execute(insert(preferences).values(
                participant_id=participant_id, channel=chosen.channel,
                frequency=chosen.frequency, quiet_start=quiet.start if quiet else None,
                quiet_end=quiet.end if quiet else None, updated_at=now))
