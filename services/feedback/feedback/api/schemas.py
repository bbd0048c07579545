"""The shapes the feedback API takes and gives."""

from datetime import date, datetime
from typing import Literal, Self
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from chorus.contracts.feedback import LONG_TEXT, MAX_LINKS, MAX_OPTIONS, MAX_QUESTIONS, Option, Tag
from chorus.contracts.vocabulary import (
    Audience,
    ChangeStatus,
    Channel,
    Decision,
    QuestionKind,
    Stage,
)
from feedback.domain.change import MAX_ORGANISATIONS, Change, Links, Part
from feedback.domain.consultation import OUTCOME_DUE, Consultation, OutcomeStatus
from feedback.domain.feedback import Feedback
from feedback.domain.learning import Learning
from feedback.domain.questions import GivenAnswer, Question
from feedback.domain.story import Story, StoryResponded


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- consultations ---------------------------------------------------------------------


class QuestionIn(Strict):
    question_id: UUID | None = Field(default=None, description="Leave out for a new id.")
    kind: QuestionKind
    prompt: str = Field(min_length=1, max_length=500)
    options: list[Option] = Field(default=[], max_length=MAX_OPTIONS,
                                  description="The choices, for a choice question.")
    required: bool = False

    def to_domain(self) -> Question:
        return Question(self.question_id or uuid4(), self.kind, self.prompt,
                        tuple(self.options), self.required)


class ConsultationIn(Strict):
    title: str = Field(min_length=1, max_length=200,
                       examples=["Visiting hours on the children's ward"])
    purpose: str = Field(min_length=1, max_length=LONG_TEXT,
                         description="What it is for and what it will inform.")
    stage: Stage = Field(description="The stage of the work it informs.")
    questions: list[QuestionIn] = Field(min_length=1, max_length=MAX_QUESTIONS)
    audience: Audience = Field(description="'network': the network's participants; "
                               "'invited': only those named; 'public': anyone, signed in "
                               "or not.")
    invited_participant_ids: list[UUID] = Field(default=[], max_length=5000)
    closes_at: AwareDatetime = Field(description="When it stops taking responses; within "
                                     "a year.")


class QuestionOut(BaseModel):
    question_id: UUID
    kind: QuestionKind
    prompt: str
    options: list[str]
    required: bool


class CountedOut(BaseModel):
    label: str
    count: int


class QuestionSummaryOut(BaseModel):
    question_id: UUID
    answered: int
    tallies: list[CountedOut]
    rating_average: float | None


class SummaryOut(BaseModel):
    responses: int
    by_channel: list[CountedOut]
    questions: list[QuestionSummaryOut]
    tags: list[CountedOut] = Field(description="Tags staff gave the responses.")
    suggested_keywords: list[CountedOut] = Field(
        description="Words that recur in the written answers, for staff to consider as "
                    "themes.")


class OutcomeOut(BaseModel):
    you_said: str
    we_did: str
    days_from_close: int
    published_at: datetime


class ConsultationOut(BaseModel):
    consultation_id: UUID
    organisation_id: UUID
    network_id: UUID
    title: str
    purpose: str
    stage: Stage
    audience: Audience
    questions: list[QuestionOut]
    closes_at: datetime
    opened_at: datetime
    status: Literal["open", "closed"]
    closed_at: datetime | None
    summary: SummaryOut | None
    outcome: OutcomeOut | None
    outcome_status: OutcomeStatus = Field(
        description="'overdue' once twelve weeks have passed since closing without an "
                    "outcome; it stays overdue until one is published.")
    outcome_due_at: datetime | None
    version: int

    @classmethod
    def of(cls, c: Consultation, now: datetime) -> Self:
        o = c.opened
        summary = c.closed.summary if c.closed else None
        return cls(
            consultation_id=o.consultation_id, organisation_id=o.organisation_id,
            network_id=o.network_id, title=o.title, purpose=o.purpose, stage=o.stage,
            audience=o.audience,
            questions=[QuestionOut(question_id=q.question_id, kind=q.kind, prompt=q.prompt,
                                   options=list(q.options), required=q.required)
                       for q in o.questions],
            closes_at=o.closes_at, opened_at=o.opened_at,
            status="open" if c.is_open else "closed",
            closed_at=c.closed.closed_at if c.closed else None,
            summary=SummaryOut.model_validate(summary, from_attributes=True) if summary else None,
            outcome=OutcomeOut.model_validate(c.outcome, from_attributes=True)
            if c.outcome else None,
            outcome_status=c.outcome_status(now),
            outcome_due_at=c.closed.closed_at + OUTCOME_DUE if c.closed else None,
            version=c.version)


class ConsultationItem(BaseModel):
    consultation_id: UUID
    organisation_id: UUID
    title: str
    stage: Stage
    audience: Audience
    status: Literal["open", "closed"]
    closes_at: datetime
    closed_at: datetime | None
    outcome_status: OutcomeStatus


class ConsultationPage(BaseModel):
    items: list[ConsultationItem]
    total: int


class AnswerIn(Strict):
    question_id: UUID
    text: str | None = Field(default=None, min_length=1, max_length=LONG_TEXT,
                             description="For a free-text question.")
    choices: list[Option] = Field(default=[], max_length=MAX_OPTIONS,
                                  description="For a choice question.")
    rating: int | None = Field(default=None, ge=1, le=5, description="For a rating: 1 to 5.")

    def to_domain(self) -> GivenAnswer:
        return GivenAnswer(self.question_id, self.text, tuple(self.choices), self.rating)


class FeedbackIn(Strict):
    answers: list[AnswerIn] = Field(min_length=1, max_length=MAX_QUESTIONS)
    channel: Literal[Channel.PAPER, Channel.PHONE, Channel.EVENT] | None = Field(
        default=None, description="Staff only: the response came on paper, by phone or at "
                                  "an event, and staff are entering it.")


class AnswerOut(BaseModel):
    question_id: UUID
    text: str | None = Field(description="Written answers are shown scrubbed of names, "
                             "contact details, NHS numbers, postcodes and dates of birth.")
    choices: list[str]
    rating: int | None


class FeedbackOut(BaseModel):
    feedback_id: UUID
    consultation_id: UUID
    participant_id: UUID | None
    channel: Channel
    answers: list[AnswerOut]
    tags: list[str]
    withdrawn: bool
    submitted_at: datetime
    withdrawal_code: str | None = Field(
        default=None, description="Anonymous responses only, shown once: keep it to "
                                  "withdraw the response before the consultation closes.")

    @classmethod
    def of(cls, f: Feedback, code: str | None = None, *,
           participant_id: UUID | Literal["as submitted"] | None = "as submitted") -> Self:
        """`participant_id`: as the responses read model holds it now (None once the
        person was erased); by default as submitted."""
        s = f.submitted
        who = s.participant_id if participant_id == "as submitted" else participant_id
        return cls(feedback_id=s.feedback_id, consultation_id=s.consultation_id,
                   participant_id=who, channel=s.channel,
                   answers=[AnswerOut(question_id=a.question_id, text=a.text,
                                      choices=list(a.choices), rating=a.rating)
                            for a in s.answers],
                   tags=list(f.tags), withdrawn=f.withdrawn, submitted_at=s.submitted_at,
                   withdrawal_code=code)


class FeedbackPage(BaseModel):
    items: list[FeedbackOut]
    total: int


class WithdrawIn(Strict):
    withdrawal_code: str | None = Field(default=None, max_length=100,
                                        description="For an anonymous response.")


class TagsIn(Strict):
    tags: list[Tag] = Field(max_length=10, description="Themes, in lower case.")


class OutcomeIn(Strict):
    you_said: str = Field(min_length=1, max_length=LONG_TEXT,
                          description="What people said, in brief.")
    we_did: str = Field(min_length=1, max_length=LONG_TEXT,
                        description="What you did, or will do, because of it, and why; or "
                                    "why not.")


# -- stories ------------------------------------------------------------------------------


class StoryIn(Strict):
    network_id: UUID | None = Field(default=None, description="Needed when sharing "
                                    "anonymously; a participant's own network otherwise.")
    organisation_ids: list[UUID] = Field(default=[], max_length=20,
                                         description="Organisations the story is about.")
    service_area: str = Field(min_length=1, max_length=100, examples=["maternity"])
    title: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=LONG_TEXT, description="The story.")


class ModerationIn(Strict):
    decision: Decision
    redacted_text: str | None = Field(default=None, min_length=1, max_length=LONG_TEXT,
                                      description="For 'redact': the text to publish.")
    reason: str | None = Field(default=None, min_length=1, max_length=1000,
                               description="For 'reject': why, for the person who shared it.")


class ResponseIn(Strict):
    response: str = Field(min_length=1, max_length=LONG_TEXT)


class StoryResponseOut(BaseModel):
    response_id: UUID
    organisation_id: UUID
    response: str
    responded_at: datetime

    @classmethod
    def of(cls, r: StoryResponded) -> Self:
        return cls(response_id=r.response_id, organisation_id=r.organisation_id,
                   response=r.response, responded_at=r.responded_at)


class StoryOut(BaseModel):
    story_id: UUID
    network_id: UUID
    organisation_ids: list[UUID]
    participant_id: UUID | None
    service_area: str
    title: str
    status: str
    text: str | None = Field(description="As published; before that, scrubbed, for the "
                             "person who shared it and the moderators.")
    own_words: str | None = Field(default=None, description="The words as shared, for the "
                                  "moderators and the person who shared it only.")
    rejected_because: str | None
    responses: list[StoryResponseOut]
    shared_at: datetime

    @classmethod
    def of(cls, story: Story, own_words: str | None = None) -> Self:
        s, m = story.shared, story.moderated
        return cls(story_id=s.story_id, network_id=s.network_id,
                   organisation_ids=list(s.organisation_ids),
                   participant_id=s.participant_id if own_words is not None else None,
                   service_area=s.service_area, title=s.title, status=story.status,
                   text=story.published_text or (s.scrubbed_text if own_words else None),
                   own_words=own_words, rejected_because=m.reason if m else None,
                   responses=[StoryResponseOut.of(r) for r in story.responses],
                   shared_at=s.shared_at)


class StoryItem(BaseModel):
    story_id: UUID
    service_area: str
    title: str
    text: str | None
    shared_at: datetime


class StoryPage(BaseModel):
    items: list[StoryItem]
    total: int


# -- changes and learning -----------------------------------------------------------------


class PartIn(Strict):
    organisation_id: UUID
    owner: str = Field(min_length=1, max_length=100, description="Who leads this "
                       "organisation's part, as a role, e.g. 'Head of Patient Experience'.")
    status: ChangeStatus = ChangeStatus.PLANNED


class ChangeIn(Strict):
    title: str = Field(min_length=1, max_length=200)
    what_changed: str = Field(min_length=1, max_length=LONG_TEXT)
    service_area: str = Field(min_length=1, max_length=100)
    changed_on: date
    organisations: list[PartIn] = Field(min_length=1, max_length=MAX_ORGANISATIONS)
    consultation_ids: list[UUID] = Field(default=[], max_length=MAX_LINKS)
    feedback_ids: list[UUID] = Field(default=[], max_length=MAX_LINKS)
    story_ids: list[UUID] = Field(default=[], max_length=MAX_LINKS)

    def parts(self) -> tuple[Part, ...]:
        return tuple(Part(p.organisation_id, p.owner, p.status) for p in self.organisations)

    def links(self) -> Links:
        return Links(tuple(self.consultation_ids), tuple(self.feedback_ids),
                     tuple(self.story_ids))


class ChangePatch(Strict):
    organisation_id: UUID | None = Field(default=None, description="Whose part; your own "
                                         "organisation's when left out.")
    owner: str | None = Field(default=None, min_length=1, max_length=100)
    status: ChangeStatus | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.owner is None and self.status is None:
            raise ValueError("give the new status, the new owner, or both")
        return self


class PartOut(BaseModel):
    organisation_id: UUID
    owner: str
    status: ChangeStatus


class ChangeOut(BaseModel):
    change_id: UUID
    network_id: UUID
    title: str
    what_changed: str
    service_area: str
    changed_on: date
    organisations: list[PartOut]
    recorded_by: UUID
    consultation_ids: list[UUID]
    feedback_ids: list[UUID]
    story_ids: list[UUID]
    voices: int = Field(description="How many signed-in participants' voices it links.")
    made_at: datetime

    @classmethod
    def of(cls, c: Change) -> Self:
        m = c.made
        return cls(change_id=m.change_id, network_id=m.network_id, title=m.title,
                   what_changed=m.what_changed, service_area=m.service_area,
                   changed_on=m.changed_on,
                   organisations=[PartOut(organisation_id=p.organisation_id, owner=p.owner,
                                          status=p.status) for p in c.parts.values()],
                   recorded_by=m.recorded_by, consultation_ids=list(m.links.consultation_ids),
                   feedback_ids=list(m.links.feedback_ids), story_ids=list(m.links.story_ids),
                   voices=len(m.participant_ids), made_at=m.made_at)


class ChangeItem(BaseModel):
    change_id: UUID
    title: str
    service_area: str
    changed_on: date
    organisation_ids: list[UUID]
    made_at: datetime


class ChangePage(BaseModel):
    items: list[ChangeItem]
    total: int


class LearningIn(Strict):
    title: str = Field(min_length=1, max_length=200)
    summary: str = Field(min_length=1, max_length=LONG_TEXT)
    tags: list[Tag] = Field(default=[], max_length=20)
    change_ids: list[UUID] = Field(default=[], max_length=100)
    consultation_ids: list[UUID] = Field(default=[], max_length=100)


class LearningOut(BaseModel):
    learning_id: UUID
    organisation_id: UUID
    network_id: UUID
    title: str
    summary: str
    tags: list[str]
    change_ids: list[UUID]
    consultation_ids: list[UUID]
    shared_at: datetime

    @classmethod
    def of(cls, learning: Learning) -> Self:
        s = learning.shared
        return cls(learning_id=s.learning_id, organisation_id=s.organisation_id,
                   network_id=s.network_id, title=s.title, summary=s.summary,
                   tags=list(s.tags), change_ids=list(s.change_ids),
                   consultation_ids=list(s.consultation_ids), shared_at=s.shared_at)


class LearningPage(BaseModel):
    items: list[LearningOut]
    total: int


# -- metrics ------------------------------------------------------------------------------


class FigureOut(BaseModel):
    value: float | None = Field(description="Null when there is nothing to measure yet, or "
                                "when withheld.")
    unit: Literal["percent", "days", "people", "coefficient"]
    numerator: int | None
    denominator: int | None
    withheld: str | None = Field(description="Why the figure is withheld, if it is.")
    definition: str


class QuarterOut(BaseModel):
    """Loop closure in one quarter of the NHS financial year (Q1 is April to June), for the
    consultations that closed in it."""

    period: str = Field(examples=["2025/26 Q1 (Apr to Jun 2025)"])
    starts_on: date
    ends_on: date
    closed: int = Field(description="Consultations that closed in the quarter.")
    outcomes_published: int = Field(description="Of those, how many have a published "
                                    "outcome (by now, not only within the quarter).")
    led_to_change: int = Field(description="Of those, how many are linked to at least one "
                               "change, directly or through a response.")
    outcomes_published_percent: float | None = Field(
        description="outcomes_published of closed, as a percentage; null when none closed.")
    led_to_change_percent: float | None = Field(
        description="led_to_change of closed, as a percentage; null when none closed.")


class MetricsOut(BaseModel):
    network_id: UUID
    organisation_id: UUID | None
    figures: dict[str, FigureOut]
    opportunities_by_stage: dict[Stage, int]
    loop_closure_by_quarter: list[QuarterOut] = Field(description=(
        "Loop closure over time: each quarter of the NHS financial year from the first "
        "consultation closed up to now (the last 8 at most, quarters with none included), "
        "oldest first."))
    computed_at: datetime

