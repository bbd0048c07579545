"""A story: someone's experience of a service, in their words.

Nobody but the network's moderators sees a story until it is moderated: published as it is
(scrubbed), published as the moderator redacted it, or rejected with a reason the person
can read. The person's own words are kept sealed (encrypted under their key) for the
moderators; what anyone else sees is scrubbed. Only the organisations a story names answer
it, in public, once it is published.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from chorus.contracts.vocabulary import Decision
from chorus.domain import Aggregate, DomainEvent
from chorus.errors import Conflict, DomainRuleBroken

MAX_NAMED = 20


class StoryStatus(StrEnum):
    AWAITING_MODERATION = "awaiting_moderation"
    PUBLISHED = "published"
    REJECTED = "rejected"


@dataclass(frozen=True, kw_only=True)
class StoryEvent(DomainEvent):
    story_id: UUID
    network_id: UUID
    organisation_ids: tuple[UUID, ...]


@dataclass(frozen=True, kw_only=True)
class StoryShared(StoryEvent):
    participant_id: UUID | None
    service_area: str
    title: str
    sealed_text: str  # the person's own words, encrypted; only moderators read them
    scrubbed_text: str
    sealed_under: str  # whose key sealed them: the participant, or the story itself
    shared_at: datetime


@dataclass(frozen=True, kw_only=True)
class StoryModerated(StoryEvent):
    participant_id: UUID | None
    decision: Decision
    title: str | None
    published_text: str | None
    reason: str | None
    moderated_by: str
    moderated_at: datetime


@dataclass(frozen=True, kw_only=True)
class StoryResponded(StoryEvent):
    response_id: UUID
    organisation_id: UUID
    response: str
    responded_by: str
    responded_at: datetime


@dataclass(frozen=True)
class Moderation:
    decision: Decision
    redacted_text: str | None = None
    reason: str | None = None


class Story(Aggregate):
    stream_type = "story"

    shared: StoryShared
    moderated: StoryModerated | None
    responses: list[StoryResponded]

    @classmethod
    def share(cls, story_id: UUID, *, network_id: UUID, organisation_ids: tuple[UUID, ...],
              participant_id: UUID | None, service_area: str, title: str, sealed_text: str,
              scrubbed_text: str, sealed_under: str, now: datetime) -> "Story":
        if len(organisation_ids) > MAX_NAMED or len(set(organisation_ids)) != len(
                organisation_ids):
            raise DomainRuleBroken(f"a story names at most {MAX_NAMED} different organisations")
        story = cls(str(story_id))
        story.record(StoryShared(
            story_id=story_id, network_id=network_id, organisation_ids=organisation_ids,
            participant_id=participant_id, service_area=service_area, title=title,
            sealed_text=sealed_text, scrubbed_text=scrubbed_text, sealed_under=sealed_under,
            shared_at=now))
        return story

    @property
    def status(self) -> StoryStatus:
        if self.moderated is None:
            return StoryStatus.AWAITING_MODERATION
        if self.moderated.decision == Decision.REJECT:
            return StoryStatus.REJECTED
        return StoryStatus.PUBLISHED

    @property
    def published_text(self) -> str | None:
        return self.moderated.published_text if self.moderated else None

    def moderate(self, moderation: Moderation, by: str, now: datetime) -> None:
        """Decide once; `redacted_text` must already be scrubbed by the caller."""
        if self.moderated is not None:
            raise Conflict(f"the story was already moderated ({self.moderated.decision})")
        decision = moderation.decision
        if (decision == Decision.REDACT) != (moderation.redacted_text is not None):
            raise DomainRuleBroken("redacted_text is given exactly when the decision is "
                                   "'redact'")
        if (decision == Decision.REJECT) != (moderation.reason is not None):
            raise DomainRuleBroken("a reason is given exactly when the decision is 'reject'")
        text = moderation.redacted_text or self.shared.scrubbed_text
        published = decision != Decision.REJECT
        self.record(StoryModerated(
            **self._ids(), participant_id=self.shared.participant_id, decision=decision,
            title=self.shared.title if published else None,
            published_text=text if published else None, reason=moderation.reason,
            moderated_by=by, moderated_at=now))

    def respond(self, response_id: UUID, organisation_id: UUID, response: str, by: str,
                now: datetime) -> StoryResponded:
        if self.status != StoryStatus.PUBLISHED:
            raise Conflict("only a published story can be answered")
        if organisation_id not in self.shared.organisation_ids:
            raise DomainRuleBroken("only an organisation the story names can answer it")
        responded = StoryResponded(**self._ids(), response_id=response_id,
                                   organisation_id=organisation_id, response=response,
                                   responded_by=by, responded_at=now)
        self.record(responded)
        return responded

    def _ids(self) -> dict[str, Any]:
        s = self.shared
        return {"story_id": s.story_id, "network_id": s.network_id,
                "organisation_ids": s.organisation_ids}

    def apply(self, event: DomainEvent) -> None:
        match event:
            case StoryShared():
                self.shared, self.moderated, self.responses = event, None, []
            case StoryModerated():
                self.moderated = event
            case StoryResponded():
                self.responses.append(event)


STORY_EVENTS: tuple[type[DomainEvent], ...] = (StoryShared, StoryModerated, StoryResponded)
