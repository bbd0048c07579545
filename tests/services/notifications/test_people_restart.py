"""After a crash between sending and recording, the notices left `sending` (and those their
digest gathered) are marked `uncertain` when the service starts again, and never sent again.
Run on the service's own migrated database, with a mail server that must not be called."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from chorus.migrations import upgrade
from chorus.settings import load_settings
from chorus.store.database import Database
from chorus.store.eventstore import EventStore
from notifications.bootstrap import service as notifications
from notifications.people.adapters.letters import Letters
from notifications.people.adapters.registry import RegistryContacts
from notifications.people.application.directory import Directory
from notifications.people.application.notices import Draft, Notices
from notifications.people.application.sending import Sender
from notifications.people.domain.notices import NoticeKind, NoticeStatus
from notifications.people.tables import notices


class NoMail:
    async def send(self, message: EmailMessage) -> None:
        raise AssertionError("nothing may be sent again")


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    settings = load_settings(data_dir=tmp_path)
    db = Database(settings.database_url_for("notifications"))
    await upgrade(db, [notifications.migrations])
    yield db
    await db.dispose()


async def test_what_was_left_sending_becomes_uncertain_and_is_not_sent_again(
        database: Database) -> None:
    zone = ZoneInfo("Europe/London")
    book = Notices(database, Letters(zone))
    now = datetime.now(UTC)
    person, network = uuid4(), uuid4()
    change = {"title": "Clearer letters", "what_changed": "Plain words.",
              "organisations": ["Leeds Teaching Hospitals"], "changed_on": "2024-05-01"}

    def draft(kind: NoticeKind, key: str, facts: dict[str, Any]) -> Draft:
        return Draft(participant_id=person, network_id=network, event_key=key, kind=kind,
                     facts=facts, due_at=now)

    told = draft(NoticeKind.CHANGE_MADE, "event-1", change)
    gathered = draft(NoticeKind.CHANGE_MADE, "event-2", change)
    digest = draft(NoticeKind.DIGEST, "digest:daily:x", {"frequency": "daily", "notices": 1})
    async with database.transaction() as tx:
        await book.add(tx, told, status=NoticeStatus.SENDING, attempts=1)
        await book.add(tx, gathered)
        await book.add(tx, digest, status=NoticeStatus.SENDING, attempts=1,
                       wording=book.letters.digest("daily", []))
        await book.gather(tx, digest.notice_id, [gathered.notice_id])
        assert not await book.add(tx, draft(NoticeKind.CHANGE_MADE, "event-1", change))

    assert await book.mark_uncertain(now) == 2
    async with database.snapshot() as tx:
        statuses = {row.notice_id: row.status for row in await tx.conn.execute(
            select(notices.c.notice_id, notices.c.status))}
    assert statuses == {told.notice_id: "uncertain", gathered.notice_id: "uncertain",
                        digest.notice_id: "uncertain"}

    store = EventStore(database, service="notifications", topic="t",
                       to_public=lambda _: None)
    sender = Sender(database, store, book, Directory(), RegistryContacts("http://r", None),
                    NoMail(), book.letters, mail_from="x@example.org", zone=zone,
                    still_true=lambda *_: _true())
    assert await sender.send_due(now) == 0


async def _true() -> bool:
    return True


async def test_a_claim_still_running_belongs_to_a_live_instance_and_is_left_alone(
        database: Database) -> None:
    book = Notices(database, Letters(ZoneInfo("Europe/London")))
    now = datetime.now(UTC)
    notice = Draft(participant_id=uuid4(), network_id=uuid4(), event_key="event-1",
                   kind=NoticeKind.CHANGE_MADE, due_at=now, facts={
                       "title": "Clearer letters", "what_changed": "Plain words.",
                       "organisations": ["Leeds Teaching Hospitals"],
                       "changed_on": "2024-05-01"})
    async with database.transaction() as tx:
        await book.add(tx, notice)
    assert await book.claim(notice.notice_id, now + timedelta(minutes=2))
    assert not await book.claim(notice.notice_id, now + timedelta(minutes=2))  # taken

    assert await book.mark_uncertain(now + timedelta(minutes=1)) == 0  # another instance sends
    assert await book.mark_uncertain(now + timedelta(minutes=3)) == 1  # cut off mid-send
    async with database.snapshot() as tx:
        status = (await tx.conn.execute(select(notices.c.status))).scalar_one()
    assert status == "uncertain"
