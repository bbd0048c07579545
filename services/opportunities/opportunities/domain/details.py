"""What an opportunity offers: the facts an organisation publishes and people are matched on."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from uuid import UUID

from chorus.contracts.vocabulary import (
    AccessibilityNeed,
    Commitment,
    DayPart,
    InvolvementKind,
    Method,
    OpportunityKind,
    Remuneration,
    Stage,
    SupportOffered,
    Topic,
    Weekday,
)
from chorus.errors import DomainRuleBroken

MAX_SEATS = 500
MAX_SESSIONS = 100
FURTHEST_AHEAD = timedelta(days=3 * 366)

WANTED_KIND = {
    OpportunityKind.BOARD_OR_COMMITTEE_SEAT: InvolvementKind.BOARD_OR_COMMITTEE,
    OpportunityKind.ADVISORY_PANEL: InvolvementKind.ADVISORY_PANEL,
    OpportunityKind.LAY_MEMBER_AT_MEETINGS: InvolvementKind.BOARD_OR_COMMITTEE,
    OpportunityKind.FOCUS_GROUP: InvolvementKind.FOCUS_GROUP,
    OpportunityKind.CONSULTATION: InvolvementKind.SURVEY,
    OpportunityKind.CO_DESIGN_WORKSHOP: InvolvementKind.CO_DESIGN,
    OpportunityKind.RECRUITMENT_PANEL: InvolvementKind.RECRUITMENT_PANEL,
    OpportunityKind.STAFF_TRAINING: InvolvementKind.STAFF_TRAINING,
    OpportunityKind.SPEAKING_AT_AN_EVENT: InvolvementKind.SPEAKING_AT_EVENTS,
    OpportunityKind.CO_RESEARCH: InvolvementKind.CO_RESEARCH,
    OpportunityKind.COMMUNICATIONS_AND_STORY_SHARING: InvolvementKind.STORY_SHARING,
    OpportunityKind.AUDIT_AND_MONITORING: InvolvementKind.AUDIT_AND_MONITORING,
    OpportunityKind.COMMISSIONING_BOARD: InvolvementKind.BOARD_OR_COMMITTEE,
    OpportunityKind.PEER_SUPPORT: InvolvementKind.PEER_SUPPORT,
}
"""Each kind of opportunity as the kind of involvement a participant says they want."""


class PaymentBasis(StrEnum):
    HOURLY = "hourly"
    SESSIONAL = "sessional"  # a half day under 4 hours, a full day from 4 hours


@dataclass(frozen=True, kw_only=True)
class ScheduledSession:
    session_id: UUID
    starts_at: datetime
    ends_at: datetime

    @property
    def slot(self) -> tuple[Weekday, DayPart]:
        """The part of the week it falls in, for matching people's availability."""
        day = list(Weekday)[self.starts_at.weekday()]
        hour = self.starts_at.hour
        part = (DayPart.MORNING if hour < 12 else DayPart.AFTERNOON if hour < 17
                else DayPart.EVENING)
        return day, part


@dataclass(frozen=True, kw_only=True)
class Details:
    title: str
    description: str
    kind: OpportunityKind
    stage: Stage
    topics: tuple[Topic, ...] = ()
    methods: tuple[Method, ...]
    online: bool
    postcode_district: str | None = None
    sessions: tuple[ScheduledSession, ...] = ()
    commitment: Commitment
    time_commitment: str
    seats: int
    pairs_preferred: bool = False
    support_offered: tuple[SupportOffered, ...] = ()
    remuneration: Remuneration
    payment_basis: PaymentBasis | None = None
    accessibility_provided: tuple[AccessibilityNeed, ...] = ()
    closing_date: date

    def __post_init__(self) -> None:
        if not self.methods:
            raise DomainRuleBroken("an opportunity needs at least one way of taking part "
                                   "(method)")
        if not self.online and self.postcode_district is None:
            raise DomainRuleBroken("an in-person opportunity needs its postcode_district")
        if not 1 <= self.seats <= MAX_SEATS:
            raise DomainRuleBroken(f"seats must be between 1 and {MAX_SEATS}")
        if (self.remuneration == Remuneration.PAID) != (self.payment_basis is not None):
            raise DomainRuleBroken("payment_basis is needed exactly when the opportunity "
                                   "pays for involvement")
        if len(self.sessions) > MAX_SESSIONS:
            raise DomainRuleBroken(f"an opportunity can schedule at most {MAX_SESSIONS} sessions")
        for session in self.sessions:
            if session.ends_at <= session.starts_at:
                raise DomainRuleBroken("a session must end after it starts")
        if len({s.session_id for s in self.sessions}) != len(self.sessions):
            raise DomainRuleBroken("each scheduled session needs its own id")

    @property
    def wanted_kind(self) -> InvolvementKind:
        return WANTED_KIND[self.kind]

    def check_new(self, now: datetime) -> None:
        """Rules for what is being published now, rather than what was true then."""
        if self.closing_date < now.date():
            raise DomainRuleBroken("the closing_date is in the past")
        if self.closing_date > (now + FURTHEST_AHEAD).date():
            raise DomainRuleBroken("the closing_date is more than three years away")
        for session in self.sessions:
            if session.ends_at > now + FURTHEST_AHEAD:
                raise DomainRuleBroken("a session is more than three years away")
