"""Facts this service notes from the opportunities service's events, in its own store, so
that the accountability metrics are rebuilt from one log: the stage of each opportunity,
who attended its sessions, invitations sent and declined (counted, never shown per person)
and how long expenses took to pay.

Each is appended to a stream per opportunity, invitation or expense of the other service.
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from chorus.contracts.vocabulary import Stage
from chorus.domain import DomainEvent

NOTED_STREAM_TYPE = "noted"


@dataclass(frozen=True, kw_only=True)
class NotedEvent(DomainEvent):
    organisation_id: UUID
    network_id: UUID


@dataclass(frozen=True, kw_only=True)
class OpportunityNoted(NotedEvent):
    """Published, or its stage changed."""

    opportunity_id: UUID
    stage: Stage
    at: datetime


@dataclass(frozen=True, kw_only=True)
class OpportunityWithdrawalNoted(NotedEvent):
    opportunity_id: UUID
    at: datetime


@dataclass(frozen=True, kw_only=True)
class AttendanceNoted(NotedEvent):
    opportunity_id: UUID
    session_id: UUID
    stage: Stage
    participant_ids: tuple[UUID, ...]
    at: datetime


@dataclass(frozen=True, kw_only=True)
class InvitationNoted(NotedEvent):
    invitation_id: UUID
    declined: bool  # False: sent; True: the person said no
    at: datetime


@dataclass(frozen=True, kw_only=True)
class ExpensePaymentNoted(NotedEvent):
    expense_id: UUID
    days_to_payment: int
    at: datetime


NOTED_EVENTS: tuple[type[DomainEvent], ...] = (
    OpportunityNoted, OpportunityWithdrawalNoted, AttendanceNoted, InvitationNoted,
    ExpensePaymentNoted)
