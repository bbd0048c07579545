"""What the people half stores when an e-mail goes, fails, or carries a digest.

Each e-mail is one stream (its notice's id). The events name the person only by id and
never say what they were told or where: that stays in the notice.
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from chorus.contracts.vocabulary import Frequency
from chorus.domain import DomainEvent

STREAM_TYPE = "participant_email"


@dataclass(frozen=True, kw_only=True)
class ParticipantEmailed(DomainEvent):
    """The mail server took an e-mail to a participant."""

    delivery_id: UUID
    network_id: UUID
    participant_id: UUID
    kind: str
    event_id: str | None
    delivered_type: str | None
    attempt: int
    latency_ms: int
    delivered_at: datetime


@dataclass(frozen=True, kw_only=True)
class ParticipantEmailFailed(DomainEvent):
    """An e-mail to a participant did not go; `next_attempt_at` is None when given up."""

    delivery_id: UUID
    network_id: UUID
    participant_id: UUID
    kind: str
    event_id: str | None
    delivered_type: str | None
    attempt: int
    reason: str
    latency_ms: int
    next_attempt_at: datetime | None
    failed_at: datetime


@dataclass(frozen=True, kw_only=True)
class ParticipantDigestEmailed(DomainEvent):
    """A participant's digest went: one e-mail gathering every notice since the last."""

    digest_id: UUID
    participant_id: UUID
    network_id: UUID
    frequency: Frequency
    notices: int
    sent_at: datetime


EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    ParticipantEmailed, ParticipantEmailFailed, ParticipantDigestEmailed)
