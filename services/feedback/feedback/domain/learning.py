"""Learning: a write-up an organisation shares with the whole network, drawing on the
changes and consultation outcomes behind it."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from chorus.domain import Aggregate, DomainEvent
from chorus.errors import DomainRuleBroken

MAX_TAGS = 20
MAX_LINKS = 100


@dataclass(frozen=True, kw_only=True)
class LearningShared(DomainEvent):
    learning_id: UUID
    organisation_id: UUID
    network_id: UUID
    title: str
    summary: str
    tags: tuple[str, ...]
    change_ids: tuple[UUID, ...]
    consultation_ids: tuple[UUID, ...]
    shared_by: str
    shared_at: datetime


class Learning(Aggregate):
    stream_type = "learning"

    shared: LearningShared

    @classmethod
    def share(cls, learning_id: UUID, *, organisation_id: UUID, network_id: UUID, title: str,
              summary: str, tags: tuple[str, ...], change_ids: tuple[UUID, ...],
              consultation_ids: tuple[UUID, ...], by: str, now: datetime) -> "Learning":
        tags = tuple(dict.fromkeys(tags))
        if len(tags) > MAX_TAGS:
            raise DomainRuleBroken(f"learning takes at most {MAX_TAGS} tags")
        for name, ids in (("change_ids", change_ids), ("consultation_ids", consultation_ids)):
            if len(ids) > MAX_LINKS or len(set(ids)) != len(ids):
                raise DomainRuleBroken(f"{name} holds at most {MAX_LINKS} different ids")
        learning = cls(str(learning_id))
        learning.record(LearningShared(
            learning_id=learning_id, organisation_id=organisation_id, network_id=network_id,
            title=title, summary=summary, tags=tags, change_ids=change_ids,
            consultation_ids=consultation_ids, shared_by=by, shared_at=now))
        return learning

    def apply(self, event: DomainEvent) -> None:
        if isinstance(event, LearningShared):
            self.shared = event


LEARNING_EVENTS: tuple[type[DomainEvent], ...] = (LearningShared,)
