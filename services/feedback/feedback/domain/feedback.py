"""A response to a consultation: answers that fit its questions, given by a signed-in
participant, anonymously by a member of the public, or entered by staff from paper, a phone
call or an event. The person who gave it may withdraw it while the consultation is open;
staff may then no longer count it.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from chorus.contracts.vocabulary import Channel
from chorus.domain import Aggregate, DomainEvent
from chorus.errors import Conflict, DomainRuleBroken
from feedback.domain.consultation import Consultation
from feedback.domain.questions import GivenAnswer, check_answers

MAX_TAGS = 10


@dataclass(frozen=True, kw_only=True)
class FeedbackEvent(DomainEvent):
    feedback_id: UUID
    consultation_id: UUID
    organisation_id: UUID
    network_id: UUID
    participant_id: UUID | None


@dataclass(frozen=True, kw_only=True)
class FeedbackSubmitted(FeedbackEvent):
    channel: Channel
    answers: tuple[GivenAnswer, ...]
    withdrawal_code_hash: str | None
    entered_by: str | None
    submitted_at: datetime


@dataclass(frozen=True, kw_only=True)
class FeedbackWithdrawn(FeedbackEvent):
    withdrawn_by: str
    withdrawn_at: datetime


@dataclass(frozen=True, kw_only=True)
class FeedbackTagged(FeedbackEvent):
    tags: tuple[str, ...]
    tagged_by: str
    tagged_at: datetime


class Feedback(Aggregate):
    stream_type = "feedback"

    submitted: FeedbackSubmitted
    withdrawn: bool
    tags: tuple[str, ...]

    @classmethod
    def submit(cls, feedback_id: UUID, consultation: Consultation, *,
               participant_id: UUID | None, channel: Channel,
               answers: Sequence[GivenAnswer], withdrawal_code_hash: str | None,
               entered_by: str | None, now: datetime) -> "Feedback":
        if not consultation.accepts_responses(now):
            raise Conflict("the consultation has closed; responses are no longer taken")
        checked = check_answers(consultation.opened.questions, answers)
        o = consultation.opened
        feedback = cls(str(feedback_id))
        feedback.record(FeedbackSubmitted(
            feedback_id=feedback_id, consultation_id=o.consultation_id,
            organisation_id=o.organisation_id, network_id=o.network_id,
            participant_id=participant_id, channel=channel, answers=checked,
            withdrawal_code_hash=withdrawal_code_hash, entered_by=entered_by,
            submitted_at=now))
        return feedback

    @property
    def participant_id(self) -> UUID | None:
        return self.submitted.participant_id

    def withdraw(self, consultation: Consultation, by: str, now: datetime) -> None:
        if self.withdrawn:
            raise Conflict("the response has already been withdrawn")
        if not consultation.accepts_responses(now):
            raise Conflict("the consultation has closed; its responses can no longer be "
                           "withdrawn")
        self.record(FeedbackWithdrawn(**self._ids(), withdrawn_by=by, withdrawn_at=now))

    def tag(self, tags: Sequence[str], by: str, now: datetime) -> None:
        unique = tuple(dict.fromkeys(tags))
        if len(unique) > MAX_TAGS:
            raise DomainRuleBroken(f"a response takes at most {MAX_TAGS} tags")
        if self.withdrawn:
            raise Conflict("the response was withdrawn")
        if unique != self.tags:
            self.record(FeedbackTagged(**self._ids(), tags=unique, tagged_by=by, tagged_at=now))

    def _ids(self) -> dict[str, Any]:
        s = self.submitted
        return {"feedback_id": s.feedback_id, "consultation_id": s.consultation_id,
                "organisation_id": s.organisation_id, "network_id": s.network_id,
                "participant_id": s.participant_id}

    def apply(self, event: DomainEvent) -> None:
        match event:
            case FeedbackSubmitted():
                self.submitted, self.withdrawn, self.tags = event, False, ()
            case FeedbackWithdrawn():
                self.withdrawn = True
            case FeedbackTagged():
                self.tags = event.tags


FEEDBACK_EVENTS: tuple[type[DomainEvent], ...] = (
    FeedbackSubmitted, FeedbackWithdrawn, FeedbackTagged)
