"""Handlers for changes ("you said, we did") and learning.

Recording a change checks every link: each consultation, response and story exists, belongs
to the change's network, and still counts (a withdrawn response or a rejected story does
not). The signed-in people behind the linked responses and stories are named by id on the
change, so that each of them can be told what their voice led to.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Column, ColumnElement, Table, insert, select, update

from chorus.auth import Forbidden, Principal
from chorus.contracts.vocabulary import ChangeStatus
from chorus.errors import DomainRuleBroken
from chorus.repository import EventCodec, Repository
from chorus.store import Database, EventStore
from chorus.store.database import Transaction
from feedback.application.consultations import staff_of
from feedback.application.directory import check_members
from feedback.domain import EVENT_TYPES
from feedback.domain.change import Change, ChangeMade, Links, Part
from feedback.domain.learning import Learning
from feedback.tables import (
    change_index,
    change_links,
    change_parts,
    change_voices,
    consultation_index,
    responses,
    story_index,
)
from feedback.text.scrubbing import scrub

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class ChangeDraft:
    title: str
    what_changed: str
    service_area: str
    changed_on: date
    parts: tuple[Part, ...]
    links: Links


@dataclass(frozen=True)
class LearningDraft:
    title: str
    summary: str
    tags: tuple[str, ...]
    change_ids: tuple[UUID, ...]
    consultation_ids: tuple[UUID, ...]


class Changes:
    def __init__(self, db: Database, store: EventStore, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        codec = EventCodec(EVENT_TYPES)
        self.changes = Repository(store, codec, Change)
        self.learning = Repository(store, codec, Learning)

    async def make(self, draft: ChangeDraft, actor: Principal) -> Change:
        organisation_id, network_id = staff_of(actor, "record a change")
        parts = tuple(Part(p.organisation_id, scrub(p.owner).text, p.status)
                      for p in draft.parts)
        async with self.db.transaction() as tx:
            await check_members(tx, network_id, [p.organisation_id for p in parts])
            voices = await _voices(tx, network_id, draft.links)
            change = Change.make(
                uuid4(), network_id=network_id, title=scrub(draft.title).text,
                what_changed=scrub(draft.what_changed).text,
                service_area=scrub(draft.service_area).text, changed_on=draft.changed_on,
                parts=parts, recorded_by=organisation_id, links=draft.links,
                participant_ids=voices, by=actor.subject, now=self.clock())
            await self._save(tx, change)
            return change

    async def move_on(self, change_id: UUID, organisation_id: UUID | None, owner: str | None,
                      status: ChangeStatus | None, actor: Principal) -> Change:
        async with self.db.transaction() as tx:
            change = await self.changes.get(tx, str(change_id))
            organisation_id = organisation_id or actor.org_id
            if organisation_id is None or not (actor.is_staff_of(organisation_id)
                                               or actor.is_admin_of(change.made.network_id)):
                raise Forbidden("an organisation's own staff move its part of a change on")
            change.move_on(organisation_id, scrub(owner).text if owner else None, status,
                           actor.subject, self.clock())
            await self._save(tx, change)
            return change

    async def get(self, change_id: UUID) -> Change:
        async with self.db.snapshot() as tx:
            return await self.changes.get(tx, str(change_id))

    async def share_learning(self, draft: LearningDraft, actor: Principal) -> Learning:
        organisation_id, network_id = staff_of(actor, "share learning")
        async with self.db.transaction() as tx:
            await _check_in_network(tx, change_index, change_index.c.change_id, network_id,
                                    draft.change_ids, "change")
            await _check_in_network(tx, consultation_index,
                                    consultation_index.c.consultation_id, network_id,
                                    draft.consultation_ids, "consultation")
            learning = Learning.share(
                uuid4(), organisation_id=organisation_id, network_id=network_id,
                title=scrub(draft.title).text, summary=scrub(draft.summary).text,
                tags=draft.tags, change_ids=draft.change_ids,
                consultation_ids=draft.consultation_ids, by=actor.subject, now=self.clock())
            await self.learning.save(tx, learning)
            return learning

    async def _save(self, tx: Transaction, change: Change) -> None:
        new = list(change.pending)
        await self.changes.save(tx, change)
        for event in new:
            if isinstance(event, ChangeMade):
                await _index(tx, event)
        for part in change.parts.values():
            await tx.conn.execute(update(change_parts).where(
                change_parts.c.change_id == change.made.change_id,
                change_parts.c.organisation_id == part.organisation_id).values(
                owner=part.owner, status=part.status))


async def _index(tx: Transaction, made: ChangeMade) -> None:
    run = tx.conn.execute
    await run(insert(change_index).values(
        change_id=made.change_id, network_id=made.network_id, title=made.title,
        service_area=made.service_area, changed_on=made.changed_on, made_at=made.made_at))
    await run(insert(change_parts), [
        {"change_id": made.change_id, "organisation_id": p.organisation_id, "owner": p.owner,
         "status": p.status} for p in made.parts])
    links = [{"change_id": made.change_id, "kind": kind, "linked_id": i}
             for kind, ids in (("consultation", made.links.consultation_ids),
                               ("feedback", made.links.feedback_ids),
                               ("story", made.links.story_ids)) for i in ids]
    await run(insert(change_links), links)
    if made.participant_ids:
        await run(insert(change_voices), [
            {"change_id": made.change_id, "participant_id": p} for p in made.participant_ids])


async def _voices(tx: Transaction, network_id: UUID, links: Links) -> tuple[UUID, ...]:
    """Check the links, and return the signed-in people behind the responses and stories."""
    links.check()
    await _check_in_network(tx, consultation_index, consultation_index.c.consultation_id,
                            network_id, links.consultation_ids, "consultation")
    given = await _rows(tx, responses, responses.c.feedback_id, network_id, links.feedback_ids,
                        "response", responses.c.withdrawn.is_(False))
    told = await _rows(tx, story_index, story_index.c.story_id, network_id, links.story_ids,
                       "story", story_index.c.status != "rejected")
    people = [p for p in (*given, *told) if p is not None]
    return tuple(dict.fromkeys(people))


async def _rows(tx: Transaction, table: Table, id_column: Column[Any], network_id: UUID,
                ids: Sequence[UUID], what: str,
                counts: ColumnElement[bool]) -> list[UUID | None]:
    if not ids:
        return []
    query = select(id_column, table.c.participant_id).where(
        id_column.in_(ids), table.c.network_id == network_id, counts)
    found = {row[0]: row[1] for row in await tx.conn.execute(query)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise DomainRuleBroken(f"{what} {missing[0]} is not one this network can link: it does "
                               "not exist, is another network's, or no longer counts")
    return list(found.values())


async def _check_in_network(tx: Transaction, table: Table, id_column: Column[Any],
                            network_id: UUID, ids: Sequence[UUID], what: str) -> None:
    if not ids:
        return
    query = select(id_column).where(id_column.in_(ids), table.c.network_id == network_id)
    found = set((await tx.conn.execute(query)).scalars())
    missing = [i for i in ids if i not in found]
    if missing:
        raise DomainRuleBroken(f"{what} {missing[0]} does not exist in this network")
