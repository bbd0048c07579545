"""A change: something organisations changed because of what people said ("you said, we
did"), linked to the consultations, responses and stories behind it.

One change can involve several organisations (a GP practice, a trust and the council on the
same theme), each with its own owner and progress. A change without a voice behind it is
not "you said, we did", so it links to at least one consultation, response or story.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from uuid import UUID

from chorus.contracts.vocabulary import ChangeStatus
from chorus.domain import Aggregate, DomainEvent
from chorus.errors import DomainRuleBroken, NotFound

MAX_ORGANISATIONS = 20
FURTHEST = timedelta(days=3653)  # ten years either side of today

MAX_LINKS = 500


@dataclass(frozen=True)
class Part:
    """One organisation's part in a change."""

    organisation_id: UUID
    owner: str
    status: ChangeStatus


@dataclass(frozen=True)
class Links:
    consultation_ids: tuple[UUID, ...] = ()
    feedback_ids: tuple[UUID, ...] = ()
    story_ids: tuple[UUID, ...] = ()

    def check(self) -> None:
        for name, ids in vars(self).items():
            if len(ids) > MAX_LINKS or len(set(ids)) != len(ids):
                raise DomainRuleBroken(f"{name} holds at most {MAX_LINKS} different ids")
        if not (self.consultation_ids or self.feedback_ids or self.story_ids):
            raise DomainRuleBroken("a change links to at least one consultation, response "
                                   "or story: the voices behind it")


@dataclass(frozen=True, kw_only=True)
class ChangeEvent(DomainEvent):
    change_id: UUID
    network_id: UUID


@dataclass(frozen=True, kw_only=True)
class ChangeMade(ChangeEvent):
    title: str
    what_changed: str
    service_area: str
    changed_on: date
    parts: tuple[Part, ...]
    recorded_by: UUID
    links: Links
    participant_ids: tuple[UUID, ...]  # the signed-in people behind the linked voices
    made_by: str
    made_at: datetime


@dataclass(frozen=True, kw_only=True)
class ChangeStatusChanged(ChangeEvent):
    organisation_id: UUID
    owner: str
    status: ChangeStatus
    changed_by: str
    changed_at: datetime


class Change(Aggregate):
    stream_type = "change"

    made: ChangeMade
    parts: dict[UUID, Part]

    @classmethod
    def make(cls, change_id: UUID, *, network_id: UUID, title: str, what_changed: str,
             service_area: str, changed_on: date, parts: tuple[Part, ...], recorded_by: UUID,
             links: Links, participant_ids: tuple[UUID, ...], by: str,
             now: datetime) -> "Change":
        organisations = [p.organisation_id for p in parts]
        if not 1 <= len(parts) <= MAX_ORGANISATIONS or len(set(organisations)) != len(parts):
            raise DomainRuleBroken(f"a change involves 1 to {MAX_ORGANISATIONS} different "
                                   "organisations")
        if recorded_by not in organisations:
            raise DomainRuleBroken("the organisation recording a change takes part in it")
        if abs(changed_on - now.date()) > FURTHEST:
            raise DomainRuleBroken("changed_on must be within ten years of today")
        links.check()
        change = cls(str(change_id))
        change.record(ChangeMade(
            change_id=change_id, network_id=network_id, title=title,
            what_changed=what_changed, service_area=service_area, changed_on=changed_on,
            parts=parts, recorded_by=recorded_by, links=links,
            participant_ids=participant_ids, made_by=by, made_at=now))
        return change

    def move_on(self, organisation_id: UUID, owner: str | None, status: ChangeStatus | None,
                by: str, now: datetime) -> None:
        part = self.parts.get(organisation_id)
        if part is None:
            raise NotFound(f"organisation {organisation_id} has no part in this change")
        new = replace(part, owner=owner or part.owner, status=status or part.status)
        if new != part:
            self.record(ChangeStatusChanged(
                change_id=self.made.change_id, network_id=self.made.network_id,
                organisation_id=organisation_id, owner=new.owner, status=new.status,
                changed_by=by, changed_at=now))

    def apply(self, event: DomainEvent) -> None:
        match event:
            case ChangeMade():
                self.made = event
                self.parts = {p.organisation_id: p for p in event.parts}
            case ChangeStatusChanged():
                self.parts[event.organisation_id] = Part(event.organisation_id, event.owner,
                                                         event.status)


CHANGE_EVENTS: tuple[type[DomainEvent], ...] = (ChangeMade, ChangeStatusChanged)
