"""Routes for changes ("you said, we did") and learning."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, status
from sqlalchemy import func, select

from chorus.auth import Forbidden
from feedback.api.deps import Caller, State
from feedback.api.schemas import (
    ChangeIn,
    ChangeItem,
    ChangeOut,
    ChangePage,
    ChangePatch,
    LearningIn,
    LearningOut,
    LearningPage,
)
from feedback.application.changes import ChangeDraft, LearningDraft
from feedback.projections import learning, learning_tags, learning_terms
from feedback.tables import change_index, change_parts, change_voices
from feedback.text.search import terms_of

router = APIRouter(prefix="/v1", tags=["you said, we did"])


@router.post("/changes", status_code=status.HTTP_201_CREATED, response_model=ChangeOut)
async def make(body: ChangeIn, state: State, caller: Caller) -> ChangeOut:
    """Record a change your organisation made (with others, if several took part) because
    of what people said, linked to the consultations, responses and stories behind it.
    Everyone who gave those responses or stories signed in will be told."""
    draft = ChangeDraft(body.title, body.what_changed, body.service_area, body.changed_on,
                        body.parts(), body.links())
    return ChangeOut.of(await state.changes.make(draft, caller))


@router.get("/changes", response_model=ChangePage)
async def browse(
    state: State, network_id: UUID | None = None, organisation_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ChangePage:
    """You said, we did: changes, newest first. Public."""
    conditions: list[Any] = []
    if network_id is not None:
        conditions.append(change_index.c.network_id == network_id)
    if organisation_id is not None:
        conditions.append(change_index.c.change_id.in_(select(change_parts.c.change_id).where(
            change_parts.c.organisation_id == organisation_id)))
    return await _page(state, conditions, limit, offset)


@router.get("/participants/{participant_id}/changes", response_model=ChangePage)
async def what_my_input_led_to(
    participant_id: UUID, state: State, caller: Caller,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ChangePage:
    """What happened because of my input: the changes linked to your responses and
    stories, across every organisation."""
    if not caller.is_participant(participant_id):
        raise Forbidden("only the participant sees what their own input led to")
    conditions = [change_index.c.change_id.in_(select(change_voices.c.change_id).where(
        change_voices.c.participant_id == participant_id))]
    return await _page(state, conditions, limit, offset)


async def _page(state: Any, conditions: list[Any], limit: int, offset: int) -> ChangePage:
    t = change_index
    async with state.changes.db.snapshot() as tx:
        total = (await tx.conn.execute(select(func.count()).select_from(t).where(
            *conditions))).scalar_one()
        rows = (await tx.conn.execute(select(t).where(*conditions).order_by(
            t.c.made_at.desc()).limit(limit).offset(offset))).mappings().all()
        ids = [r["change_id"] for r in rows]
        parts = (await tx.conn.execute(select(change_parts.c.change_id,
                                              change_parts.c.organisation_id).where(
            change_parts.c.change_id.in_(ids)))).all()
    by_change: dict[UUID, list[UUID]] = {}
    for change_id, organisation_id in parts:
        by_change.setdefault(change_id, []).append(organisation_id)
    return ChangePage(total=total, items=[ChangeItem(
        change_id=r["change_id"], title=r["title"], service_area=r["service_area"],
        changed_on=r["changed_on"], organisation_ids=by_change.get(r["change_id"], []),
        made_at=r["made_at"]) for r in rows])


@router.get("/changes/{change_id}", response_model=ChangeOut)
async def read(change_id: UUID, state: State) -> ChangeOut:
    """One change, with the organisations involved and the voices behind it. Public."""
    return ChangeOut.of(await state.changes.get(change_id))


@router.patch("/changes/{change_id}", response_model=ChangeOut)
async def move_on(change_id: UUID, body: ChangePatch, state: State,
                  caller: Caller) -> ChangeOut:
    """Move your organisation's part of a change on (planned, in progress, done), or hand
    it to a new owner."""
    return ChangeOut.of(await state.changes.move_on(
        change_id, body.organisation_id, body.owner, body.status, caller))


@router.post("/learning", status_code=status.HTTP_201_CREATED, response_model=LearningOut)
async def share_learning(body: LearningIn, state: State, caller: Caller) -> LearningOut:
    """Share what your organisation learnt with the whole network, with the changes and
    consultation outcomes it draws on."""
    draft = LearningDraft(body.title, body.summary, tuple(body.tags), tuple(body.change_ids),
                          tuple(body.consultation_ids))
    return LearningOut.of(await state.changes.share_learning(draft, caller))


@router.get("/learning", response_model=LearningPage)
async def search_learning(
    state: State, q: Annotated[str | None, Query(max_length=200, description=(
        "Words to find; every word must appear (in any form: 'discharged' finds "
        "'discharge')."))] = None,
    tag: Annotated[str | None, Query(max_length=40)] = None,
    network_id: UUID | None = None, organisation_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> LearningPage:
    """The region's learning library, newest first. Public."""
    conditions: list[Any] = []
    if q is not None:
        terms = terms_of(q)
        matching = select(learning_terms.c.learning_id).where(
            learning_terms.c.term.in_(terms)).group_by(learning_terms.c.learning_id).having(
            func.count() == len(terms))
        conditions.append(learning.c.learning_id.in_(matching))
    if tag is not None:
        conditions.append(learning.c.learning_id.in_(select(learning_tags.c.learning_id).where(
            learning_tags.c.tag == tag.strip().lower())))
    if network_id is not None:
        conditions.append(learning.c.network_id == network_id)
    if organisation_id is not None:
        conditions.append(learning.c.organisation_id == organisation_id)
    async with state.changes.db.snapshot() as tx:
        total = (await tx.conn.execute(select(func.count()).select_from(learning).where(
            *conditions))).scalar_one()
        rows = (await tx.conn.execute(select(learning).where(*conditions).order_by(
            learning.c.shared_at.desc()).limit(limit).offset(offset))).mappings().all()
    return LearningPage(total=total, items=[LearningOut(**r) for r in rows])



