"""Sign-in codes from the registry, e-mailed at once whatever the person's preferences or
quiet hours (they are waiting for it). The code is never stored: the notice keeps only that
one was sent, and it is not tried again later (the person asks for a new one)."""

from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from chorus.errors import DomainRuleBroken
from chorus.problems import ServiceUnavailable
from chorus.store.database import Database
from notifications.people.application.directory import Directory
from notifications.people.application.notices import Draft, Notices
from notifications.people.application.sending import Failed, NotSent, Sender
from notifications.people.domain.notices import NoticeKind, NoticeStatus

LONGEST = timedelta(days=1)


class SignInCodes:
    def __init__(self, db: Database, notices: Notices, directory: Directory, sender: Sender,
                 clock: Callable[[], datetime]) -> None:
        self.db = db
        self.notices = notices
        self.directory = directory
        self.sender = sender
        self.clock = clock

    async def send(self, participant_id: UUID, code: str,
                   expires_at: datetime) -> tuple[UUID, NoticeStatus]:
        """E-mail the code now; the notice and whether it was sent (or skipped: the person
        cannot be contacted). ServiceUnavailable if the mail server did not take it."""
        now = self.clock()
        if expires_at <= now:
            raise DomainRuleBroken("expires_at: the code has already expired")
        if expires_at > now + LONGEST:
            raise DomainRuleBroken("expires_at: a sign-in code lasts a day at most")
        async with self.db.transaction() as tx:
            person = await self.directory.person(tx.conn, participant_id)
            draft = Draft(participant_id=participant_id,
                          network_id=person.network_id if person else None,
                          event_key=f"sign-in-code:{uuid4()}", kind=NoticeKind.SIGN_IN_CODE,
                          facts={"expires_at": expires_at.isoformat()}, due_at=now)
            await self.notices.add(tx, draft, status=NoticeStatus.SENDING, attempts=1,
                                   secret={"code": code},
                                   claimed_until=now + self.sender.claim_for)
        notice = {"notice_id": draft.notice_id, "participant_id": participant_id,
                  "network_id": draft.network_id, "kind": draft.kind, "facts": draft.facts,
                  "event_id": None, "event_type": None, "attempts": 1}
        outcome = await self.sender.deliver(notice, now, secret={"code": code})
        await self.sender.record(notice, outcome, now)
        if isinstance(outcome, Failed):
            raise ServiceUnavailable(f"the code could not be e-mailed: {outcome.reason}")
        if isinstance(outcome, NotSent):
            return draft.notice_id, outcome.status
        return draft.notice_id, NoticeStatus.SENT
