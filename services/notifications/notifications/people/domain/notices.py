"""Who is told what: the kinds of notice, who may be reached, the consultation rule, and
how often a failed e-mail is tried again."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from chorus.contracts.vocabulary import (
    Audience,
    ConsentScope,
    ContactChannel,
    InvolvementKind,
    ParticipantStatus,
)


class NoticeKind(StrEnum):
    """What a notice tells someone."""

    INVITATION = "invitation"
    INVITATION_REMINDER = "invitation_reminder"
    CONSULTATION_OPENED = "consultation_opened"
    CHANGE_MADE = "change_made"
    EXPENSE_PAID = "expense_paid"
    EXPENSE_ADVANCED = "expense_advanced"
    PAYMENT_MADE = "payment_made"
    SESSION_REMINDER = "session_reminder"
    SIGN_IN_CODE = "sign_in_code"
    DIGEST = "digest"


NEVER_HELD = frozenset({NoticeKind.INVITATION_REMINDER, NoticeKind.SESSION_REMINDER,
                        NoticeKind.SIGN_IN_CODE, NoticeKind.DIGEST})
"""Kinds that go when due even for someone who asked for a digest: they are about a moment
(an offer about to lapse, a session tomorrow, a code to type now), or are the digest."""


class NoticeStatus(StrEnum):
    """Where a notice stands.

    pending: waiting to go (now, after quiet hours, or in the next digest); sending: claimed,
    the e-mail is on its way; gathered: part of a digest not sent yet; sent; failed: given
    up; skipped: the person could not be contacted; cancelled: no longer true (an invitation
    answered before its reminder); uncertain: the service stopped between sending and
    recording, so it is not known whether it went, and it is not sent again.
    """

    PENDING = "pending"
    SENDING = "sending"
    GATHERED = "gathered"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    UNCERTAIN = "uncertain"


@dataclass(frozen=True)
class Person:
    """What this service knows of a participant: never who they are, only whether and about
    what they may be told."""

    participant_id: UUID
    network_id: UUID
    status: ParticipantStatus = ParticipantStatus.ACTIVE
    contact_channels: frozenset[ContactChannel] = frozenset()
    scope: ConsentScope = ConsentScope.NETWORK
    organisation_ids: frozenset[UUID] = field(default_factory=frozenset)
    kinds_wanted: frozenset[InvolvementKind] = field(default_factory=frozenset)

    @property
    def allows_email(self) -> bool:
        return ContactChannel.EMAIL in self.contact_channels

    @property
    def may_be_told(self) -> bool:
        """Active, and allows e-mail: a paused, left or erased person is never contacted."""
        return self.status == ParticipantStatus.ACTIVE and self.allows_email

    def shares_with(self, organisation_id: UUID) -> bool:
        """Whether their consent lets this organisation see their profile."""
        return self.scope == ConsentScope.NETWORK or organisation_id in self.organisation_ids


def wants_consultation(person: Person, network_id: UUID, organisation_id: UUID,
                       audience: Audience) -> bool:
    """Whether a newly opened consultation is announced to this person.

    It is when the consultation asks the network's pool or the public, and the person is an
    active participant of that network who allows e-mail, whose consent shares their profile
    with that organisation (the whole network, or that organisation by name), and who wants
    to be offered surveys. A consultation for invited people only is not announced here:
    its invitee list never travels on the bus, and the organisation tells those it invites.
    """
    return (audience in (Audience.NETWORK, Audience.PUBLIC)
            and person.network_id == network_id
            and person.may_be_told
            and person.shares_with(organisation_id)
            and InvolvementKind.SURVEY in person.kinds_wanted)


RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30))
"""How long to wait before trying a temporarily refused e-mail again; then it is given up."""


def next_attempt(attempts: int, now: datetime,
                 delays: tuple[timedelta, ...] = RETRY_DELAYS) -> datetime | None:
    """When to try again after `attempts` tries that failed for a passing reason, or None
    once the tries are used up."""
    if attempts < 1 or attempts > len(delays):
        return None
    return now + delays[attempts - 1]


def pounds(pence: int) -> str:
    """An amount as people write it: £12.50, £3.00, £1,250.00."""
    return f"£{pence // 100:,}.{pence % 100:02d}"
