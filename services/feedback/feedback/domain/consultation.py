"""A consultation: an organisation asks for views, closes, and says what it did with them.

No tokenism: a consultation that closed without a published outcome becomes overdue after
twelve weeks (the UK government's consultation principles ask for a response within that
time) and stays so, visibly, until the organisation publishes one.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from chorus.contracts.vocabulary import Audience, ClosedBy, Stage
from chorus.domain import Aggregate, DomainEvent
from chorus.errors import Conflict, DomainRuleBroken
from feedback.domain.questions import Question
from feedback.domain.summary import Summary

OUTCOME_DUE = timedelta(weeks=12)
LONGEST_OPEN = timedelta(days=366)
MAX_INVITED = 5000

MAX_QUESTIONS = 50


class ConsultationStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class OutcomeStatus(StrEnum):
    NOT_YET_DUE = "not_yet_due"  # still open, or closed less than twelve weeks ago
    OVERDUE = "overdue"
    PUBLISHED = "published"


@dataclass(frozen=True, kw_only=True)
class ConsultationEvent(DomainEvent):
    consultation_id: UUID
    organisation_id: UUID
    network_id: UUID


@dataclass(frozen=True, kw_only=True)
class ConsultationOpened(ConsultationEvent):
    title: str
    purpose: str
    stage: Stage
    audience: Audience
    questions: tuple[Question, ...]
    invited_participant_ids: tuple[UUID, ...]
    closes_at: datetime
    opened_by: str
    opened_at: datetime


@dataclass(frozen=True, kw_only=True)
class ConsultationClosed(ConsultationEvent):
    closed_by: ClosedBy
    summary: Summary
    closed_by_whom: str | None
    closed_at: datetime


@dataclass(frozen=True, kw_only=True)
class OutcomePublished(ConsultationEvent):
    you_said: str
    we_did: str
    days_from_close: int
    published_by: str
    published_at: datetime


class Consultation(Aggregate):
    stream_type = "consultation"

    opened: ConsultationOpened
    closed: ConsultationClosed | None
    outcome: OutcomePublished | None

    @classmethod
    def open(cls, consultation_id: UUID, *, organisation_id: UUID, network_id: UUID,
             title: str, purpose: str, stage: Stage, audience: Audience,
             questions: tuple[Question, ...], invited: tuple[UUID, ...], closes_at: datetime,
             by: str, now: datetime) -> "Consultation":
        _check_questions(questions)
        if not now < closes_at <= now + LONGEST_OPEN:
            raise DomainRuleBroken("closes_at must be in the future and within a year")
        if (audience == Audience.INVITED) != bool(invited):
            raise DomainRuleBroken("invited_participant_ids are given exactly for an "
                                   "'invited' audience")
        if len(invited) > MAX_INVITED or len(set(invited)) != len(invited):
            raise DomainRuleBroken(f"invite at most {MAX_INVITED} different participants")
        consultation = cls(str(consultation_id))
        consultation.record(ConsultationOpened(
            consultation_id=consultation_id, organisation_id=organisation_id,
            network_id=network_id, title=title, purpose=purpose, stage=stage,
            audience=audience, questions=questions, invited_participant_ids=invited,
            closes_at=closes_at, opened_by=by, opened_at=now))
        return consultation

    @property
    def is_open(self) -> bool:
        return self.closed is None

    def accepts_responses(self, now: datetime) -> bool:
        return self.is_open and now < self.opened.closes_at

    def question(self, question_id: UUID) -> Question | None:
        return next((q for q in self.opened.questions if q.question_id == question_id), None)

    def close(self, summary: Summary, closed_by: ClosedBy, by: str | None,
              now: datetime) -> None:
        if self.closed is not None:
            raise Conflict("the consultation is already closed")
        self.record(ConsultationClosed(**self._ids(), closed_by=closed_by, summary=summary,
                                       closed_by_whom=by, closed_at=now))

    def publish_outcome(self, you_said: str, we_did: str, by: str, now: datetime) -> None:
        if self.closed is None:
            raise Conflict("an outcome is published once the consultation has closed")
        if self.outcome is not None:
            raise Conflict("the outcome has already been published")
        days = max(0, (now - self.closed.closed_at).days)
        self.record(OutcomePublished(**self._ids(), you_said=you_said, we_did=we_did,
                                     days_from_close=days, published_by=by, published_at=now))

    def outcome_status(self, now: datetime) -> OutcomeStatus:
        if self.outcome is not None:
            return OutcomeStatus.PUBLISHED
        if self.closed is not None and now >= self.closed.closed_at + OUTCOME_DUE:
            return OutcomeStatus.OVERDUE
        return OutcomeStatus.NOT_YET_DUE

    def _ids(self) -> dict[str, UUID]:
        o = self.opened
        return {"consultation_id": o.consultation_id, "organisation_id": o.organisation_id,
                "network_id": o.network_id}

    def apply(self, event: DomainEvent) -> None:
        match event:
            case ConsultationOpened():
                self.opened, self.closed, self.outcome = event, None, None
            case ConsultationClosed():
                self.closed = event
            case OutcomePublished():
                self.outcome = event


def _check_questions(questions: tuple[Question, ...]) -> None:
    if not 1 <= len(questions) <= MAX_QUESTIONS:
        raise DomainRuleBroken(f"a consultation asks 1 to {MAX_QUESTIONS} questions")
    if len({q.question_id for q in questions}) != len(questions):
        raise DomainRuleBroken("each question needs its own question_id")
    for question in questions:
        question.check()


CONSULTATION_EVENTS: tuple[type[DomainEvent], ...] = (
    ConsultationOpened, ConsultationClosed, OutcomePublished)
