"""Public events of the feedback service: consultations, feedback, stories, changes, learning.

A signed-in submitter appears only by participant id. What a person wrote before it was
moderated never travels: feedback carries its choices and ratings, a shared story only that
it was shared. Text that does travel (a consultation's questions, an outcome, a published
story, a response, a change, learning) is public by nature and was scrubbed of names,
contact details, NHS numbers, postcodes and dates of birth before it was published.
"""

from datetime import date
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from chorus.contracts.base import Contract
from chorus.contracts.registry import UniqueItems
from chorus.contracts.vocabulary import (
    Audience,
    ChangeStatus,
    Channel,
    ClosedBy,
    Decision,
    QuestionKind,
    Stage,
)

MAX_QUESTIONS = 50
MAX_OPTIONS = 20
MAX_LINKS = 500
TITLE = 200
SHORT_TEXT = 500
LONG_TEXT = 5000


Option = Annotated[str, Field(min_length=1, max_length=TITLE)]
Tag = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9 '-]{0,39}$")]
"""A tag: lower case words, at most 40 characters, e.g. 'discharge letters'."""


class Question(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    question_id: UUID = Field(description="The question.")
    kind: QuestionKind = Field(description="How it is answered.")
    prompt: str = Field(min_length=1, max_length=SHORT_TEXT, description="What it asks.")
    options: tuple[Option, ...] = Field(max_length=MAX_OPTIONS,
                                     description="The choices, for a choice question.")
    required: bool = Field(description="It must be answered.")


class Answer(BaseModel):
    """A closed answer. Free-text answers stay in the service."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    question_id: UUID = Field(description="The question answered.")
    choices: tuple[Option, ...] = Field(
        default=(), max_length=MAX_OPTIONS,
        description="The options chosen, for a choice question.")
    rating: int | None = Field(default=None, ge=1, le=5, description="For a rating: 1 to 5.")


class ChoiceTally(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    option: Option = Field(description="The option.")
    count: int = Field(ge=0, description="How many responses chose it.")


class QuestionSummary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    question_id: UUID = Field(description="The question.")
    answered: int = Field(ge=0, description="How many responses answered it.")
    tallies: tuple[ChoiceTally, ...] = Field(default=(), max_length=MAX_OPTIONS,
                                             description="For a choice question.")
    rating_average: float | None = Field(default=None, ge=1, le=5,
                                         description="For a rating question.")


class Theme(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    theme: str = Field(min_length=1, max_length=60, description="A tag or keyword.")
    count: int = Field(ge=0, description="How many responses it appears in.")


class ChannelCount(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: Channel = Field(description="How responses came in.")
    count: int = Field(ge=0, description="How many.")


class Summary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    responses: int = Field(ge=0, description="Responses counted (withdrawn ones are not).")
    by_channel: tuple[ChannelCount, ...] = Field(max_length=len(Channel),
                                                 description="Responses by how they came in.")
    questions: tuple[QuestionSummary, ...] = Field(max_length=MAX_QUESTIONS)
    tags: tuple[Theme, ...] = Field(max_length=100, description="Tags staff assigned.")
    suggested_keywords: tuple[Theme, ...] = Field(
        max_length=20, description="Keywords suggested from the (scrubbed) free text.")


class _AboutConsultation(Contract):
    consultation_id: UUID = Field(description="The consultation; the subject of its events.")
    organisation_id: UUID = Field(description="The organisation that runs it.")
    network_id: UUID = Field(description="Its network.")


class ConsultationOpened(_AboutConsultation, service="feedback", version=1):
    """An organisation asked for views."""

    title: str = Field(min_length=1, max_length=TITLE, description="Its title.")
    purpose: str = Field(min_length=1, max_length=LONG_TEXT,
                         description="What it is for and what it will inform.")
    stage: Stage = Field(description="The stage of the work it informs.")
    audience: Audience = Field(description="Who is asked.")
    questions: tuple[Question, ...] = Field(min_length=1, max_length=MAX_QUESTIONS)
    closes_at: AwareDatetime = Field(description="When it closes to responses.")
    opened_at: AwareDatetime = Field(description="When it opened.")


class _AboutFeedback(_AboutConsultation):
    feedback_id: UUID = Field(description="The response.")
    participant_id: UUID | None = Field(
        description="The participant who responded signed in; null when anonymous or "
                    "entered by staff.")


class FeedbackSubmitted(_AboutFeedback, service="feedback", version=1):
    """Someone responded to a consultation."""

    channel: Channel = Field(description="How the response came in.")
    answers: tuple[Answer, ...] = Field(max_length=MAX_QUESTIONS,
                                        description="The closed answers.")
    answered_in_words: int = Field(ge=0, le=MAX_QUESTIONS,
                                   description="How many questions were answered in words.")
    submitted_at: AwareDatetime = Field(description="When it was submitted.")


class FeedbackWithdrawn(_AboutFeedback, service="feedback", version=1):
    """A response was withdrawn before the consultation closed; it is not counted."""

    withdrawn_at: AwareDatetime = Field(description="When it was withdrawn.")


class ConsultationClosed(_AboutConsultation, service="feedback", version=1):
    """A consultation closed to responses, with its summary."""

    closed_by: ClosedBy = Field(description="Whether it closed on schedule or staff closed it.")
    summary: Summary = Field(description="What people said, counted.")
    closed_at: AwareDatetime = Field(description="When it closed.")


class OutcomePublished(_AboutConsultation, service="feedback", version=1):
    """We asked, you said, we did: what the organisation did with what people said."""

    you_said: str = Field(min_length=1, max_length=LONG_TEXT, description="What people said.")
    we_did: str = Field(min_length=1, max_length=LONG_TEXT,
                        description="What was done, or will be, and why.")
    days_from_close: int = Field(ge=0, description="Days from closing to this outcome.")
    published_at: AwareDatetime = Field(description="When it was published.")


class _AboutStory(Contract):
    story_id: UUID = Field(description="The story; the subject of its events.")
    network_id: UUID = Field(description="The network it was shared in.")
    organisation_ids: UniqueItems[UUID] = Field(
        max_length=20, description="The organisations it names.")


class StoryShared(_AboutStory, service="feedback", version=1):
    """Someone shared a story about a service; it waits for moderation, unseen."""

    participant_id: UUID | None = Field(
        description="The participant who shared it signed in; null when anonymous.")
    service_area: str = Field(min_length=1, max_length=100,
                              description="The service it is about, e.g. 'maternity'.")
    shared_at: AwareDatetime = Field(description="When it was shared.")


class StoryModerated(_AboutStory, service="feedback", version=1):
    """Moderation published a story, published it redacted, or rejected it."""

    participant_id: UUID | None = Field(
        description="The participant who shared it signed in; null when anonymous.")
    decision: Decision = Field(description="What moderation decided.")
    title: str | None = Field(default=None, max_length=TITLE,
                              description="The published title; null when rejected.")
    published_text: str | None = Field(
        default=None, max_length=LONG_TEXT,
        description="The story as published, scrubbed; null when rejected.")
    moderated_at: AwareDatetime = Field(description="When it was moderated.")


class StoryResponded(_AboutStory, service="feedback", version=1):
    """A named organisation answered a published story, in public."""

    response_id: UUID = Field(description="The response.")
    organisation_id: UUID = Field(description="The organisation that answered.")
    response: str = Field(min_length=1, max_length=LONG_TEXT,
                          description="What it said, scrubbed.")
    responded_at: AwareDatetime = Field(description="When it answered.")


class ChangeOwner(BaseModel):
    """One organisation's part in a change."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    organisation_id: UUID = Field(description="The organisation.")
    owner: str = Field(min_length=1, max_length=100,
                       description="Who leads its part, as a role, e.g. 'Head of Nursing'.")
    status: ChangeStatus = Field(description="How far its part has got.")


class _AboutChange(Contract):
    change_id: UUID = Field(description="The change; the subject of its events.")
    network_id: UUID = Field(description="Its network.")


class ChangeMade(_AboutChange, service="feedback", version=1):
    """You said, we did: organisations changed something because of what people said.

    Lists every response and story behind it, and the participants who gave them signed in,
    so that each of them can be told.
    """

    title: str = Field(min_length=1, max_length=TITLE, description="What changed, in brief.")
    what_changed: str = Field(min_length=1, max_length=LONG_TEXT,
                              description="What changed, and because of what.")
    service_area: str = Field(min_length=1, max_length=100, description="The service area.")
    changed_on: date = Field(description="When it changed (or will).")
    organisations: tuple[ChangeOwner, ...] = Field(min_length=1, max_length=20)
    recorded_by: UUID = Field(description="The organisation whose staff recorded it.")
    consultation_ids: UniqueItems[UUID] = Field(max_length=MAX_LINKS)
    feedback_ids: UniqueItems[UUID] = Field(max_length=MAX_LINKS)
    story_ids: UniqueItems[UUID] = Field(max_length=MAX_LINKS)
    participant_ids: UniqueItems[UUID] = Field(
        max_length=MAX_LINKS * 2,
        description="The signed-in participants whose responses or stories it links.")
    made_at: AwareDatetime = Field(description="When it was recorded.")


class ChangeStatusChanged(_AboutChange, service="feedback", version=1):
    """One organisation's part of a change moved on, or changed hands."""

    organisation_id: UUID = Field(description="The organisation.")
    owner: str = Field(min_length=1, max_length=100, description="Who leads its part.")
    status: ChangeStatus = Field(description="How far its part has got.")
    changed_at: AwareDatetime = Field(description="When it moved on.")


class LearningShared(Contract, service="feedback", version=1):
    """An organisation shared what it learnt with the whole network."""

    learning_id: UUID = Field(description="The learning; the subject of its events.")
    organisation_id: UUID = Field(description="The organisation that shared it.")
    network_id: UUID = Field(description="Its network.")
    title: str = Field(min_length=1, max_length=TITLE, description="Its title.")
    summary: str = Field(min_length=1, max_length=LONG_TEXT, description="What was learnt.")
    tags: UniqueItems[Tag] = Field(max_length=20, description="Tags to find it by.")
    change_ids: UniqueItems[UUID] = Field(max_length=100, description="Changes it draws on.")
    consultation_ids: UniqueItems[UUID] = Field(
        max_length=100, description="Consultations whose outcomes it draws on.")
    shared_at: AwareDatetime = Field(description="When it was shared.")
