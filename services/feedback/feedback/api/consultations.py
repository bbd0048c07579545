"""Routes for consultations and their responses."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, status
from sqlalchemy import func, select

from chorus.auth import Forbidden, Principal
from chorus.contracts.vocabulary import Audience, Stage
from chorus.errors import NotFound
from feedback.anonymous import TOO_MANY
from feedback.api.deps import Caller, LimitedCaller, MaybeCaller, State
from feedback.api.schemas import (
    ConsultationIn,
    ConsultationItem,
    ConsultationOut,
    ConsultationPage,
    FeedbackIn,
    FeedbackOut,
    FeedbackPage,
    OutcomeIn,
    TagsIn,
    WithdrawIn,
)
from feedback.application.consultations import Draft
from feedback.domain.consultation import OUTCOME_DUE, Consultation, OutcomeStatus
from feedback.tables import consultation_index, responses

router = APIRouter(prefix="/v1", tags=["consultations"])


def visible(consultation: Consultation, caller: Principal | None) -> Consultation:
    """A public consultation is for anyone; the others for their own network."""
    o = consultation.opened
    if o.audience == Audience.PUBLIC:
        return consultation
    if caller is None:
        raise Forbidden("sign in to see this consultation: it is not public")
    if caller.network_id not in (None, o.network_id):
        raise NotFound(f"consultation {o.consultation_id} does not exist")
    return consultation


@router.post("/consultations", status_code=status.HTTP_201_CREATED,
             response_model=ConsultationOut)
async def open_consultation(body: ConsultationIn, state: State,
                            caller: Caller) -> ConsultationOut:
    """Open a consultation for your organisation: what it is for, the stage of the work it
    informs, its questions, who it asks and when it closes."""
    draft = Draft(body.title, body.purpose, body.stage, body.audience,
                  tuple(q.to_domain() for q in body.questions),
                  tuple(body.invited_participant_ids), body.closes_at)
    consultation = await state.consultations.open(draft, caller)
    return ConsultationOut.of(consultation, state.clock())


@router.get("/consultations", response_model=ConsultationPage)
async def browse(
    state: State, caller: MaybeCaller,
    network_id: UUID | None = None, organisation_id: UUID | None = None,
    stage: Stage | None = None,
    consultation_status: Annotated[str | None, Query(
        alias="status", pattern="^(open|closed)$")] = None,
    overdue: Annotated[bool | None, Query(description="Only those whose outcome is overdue "
                                          "(true), or not (false).")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ConsultationPage:
    """Consultations, newest first: your network's, or public ones when you are not signed
    in. `overdue=true` lists those that closed over twelve weeks ago with no outcome."""
    now = state.clock()
    t = consultation_index
    conditions: list[Any] = []
    if caller is None or caller.network_id is None:
        if caller is None:
            conditions.append(t.c.audience == Audience.PUBLIC)
        if network_id is not None:
            conditions.append(t.c.network_id == network_id)
    else:
        conditions.append(t.c.network_id == caller.network_id)
    wanted = {t.c.organisation_id: organisation_id, t.c.stage: stage,
              t.c.status: consultation_status}
    conditions += [column == value for column, value in wanted.items() if value is not None]
    is_overdue = (t.c.outcome_at.is_(None) & (t.c.closed_at <= now - OUTCOME_DUE))
    if overdue is not None:
        conditions.append(is_overdue if overdue else ~is_overdue | t.c.closed_at.is_(None))
    async with state.consultations.db.snapshot() as tx:
        total = (await tx.conn.execute(select(func.count()).select_from(t).where(
            *conditions))).scalar_one()
        rows = (await tx.conn.execute(select(t).where(*conditions).order_by(
            t.c.opened_at.desc()).limit(limit).offset(offset))).mappings().all()
    return ConsultationPage(total=total, items=[ConsultationItem(
        consultation_id=r["consultation_id"], organisation_id=r["organisation_id"],
        title=r["title"], stage=r["stage"], audience=r["audience"], status=r["status"],
        closes_at=r["closes_at"], closed_at=r["closed_at"],
        outcome_status=_outcome_status(r, now)) for r in rows])


def _outcome_status(row: Any, now: Any) -> OutcomeStatus:
    if row["outcome_at"] is not None:
        return OutcomeStatus.PUBLISHED
    if row["closed_at"] is not None and now >= row["closed_at"] + OUTCOME_DUE:
        return OutcomeStatus.OVERDUE
    return OutcomeStatus.NOT_YET_DUE


@router.get("/consultations/{consultation_id}", response_model=ConsultationOut)
async def read(consultation_id: UUID, state: State, caller: MaybeCaller) -> ConsultationOut:
    """A consultation, its questions and, once closed, its summary and outcome."""
    consultation = visible(await state.consultations.get(consultation_id), caller)
    return ConsultationOut.of(consultation, state.clock())


@router.post("/consultations/{consultation_id}/feedback", status_code=status.HTTP_201_CREATED,
             response_model=FeedbackOut, responses=TOO_MANY)
async def respond(consultation_id: UUID, body: FeedbackIn, state: State,
                  caller: LimitedCaller) -> FeedbackOut:
    """Respond to a consultation: signed in as a participant, anonymously to a public one,
    or, as its organisation's staff, entering a paper, phone or event response.

    Written answers are scrubbed of names, contact details, NHS numbers, postcodes and
    dates of birth before they are kept. An anonymous response gets a `withdrawal_code`,
    shown once.
    """
    answers = [a.to_domain() for a in body.answers]
    submitted = await state.consultations.submit(consultation_id, answers, body.channel, caller)
    return FeedbackOut.of(submitted.feedback, submitted.withdrawal_code)


@router.get("/consultations/{consultation_id}/feedback", response_model=FeedbackPage)
async def responses_to(
    consultation_id: UUID, state: State, caller: Caller,
    include_withdrawn: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> FeedbackPage:
    """The responses, scrubbed, for the consultation's own staff."""
    consultation = await state.consultations.get(consultation_id)
    if not caller.is_staff_of(consultation.opened.organisation_id):
        raise Forbidden("only the organisation that runs the consultation reads its responses")
    conditions: list[Any] = [responses.c.consultation_id == consultation_id]
    if not include_withdrawn:
        conditions.append(responses.c.withdrawn.is_(False))
    async with state.consultations.db.snapshot() as tx:
        total = (await tx.conn.execute(select(func.count()).select_from(responses).where(
            *conditions))).scalar_one()
        rows = (await tx.conn.execute(
            select(responses.c.feedback_id, responses.c.participant_id).where(*conditions)
            .order_by(responses.c.submitted_at, responses.c.feedback_id)
            .limit(limit).offset(offset))).all()
    items = [FeedbackOut.of(await state.consultations.response(feedback_id), participant_id=who)
             for feedback_id, who in rows]
    return FeedbackPage(items=items, total=total)


@router.get("/feedback/{feedback_id}", response_model=FeedbackOut)
async def read_response(feedback_id: UUID, state: State, caller: Caller) -> FeedbackOut:
    """One response: for the participant who gave it and the consultation's staff."""
    feedback = await state.consultations.response(feedback_id)
    s = feedback.submitted
    async with state.consultations.db.snapshot() as tx:  # None once they were erased
        who = (await tx.conn.execute(select(responses.c.participant_id).where(
            responses.c.feedback_id == feedback_id))).scalar()
    if not ((who and caller.is_participant(who)) or caller.is_staff_of(s.organisation_id)):
        raise NotFound(f"feedback {feedback_id} does not exist")
    return FeedbackOut.of(feedback, participant_id=who)


@router.post("/feedback/{feedback_id}/withdraw", response_model=FeedbackOut)
async def withdraw(feedback_id: UUID, state: State, caller: MaybeCaller,
                   body: WithdrawIn | None = None) -> FeedbackOut:
    """Withdraw a response before the consultation closes; it is then not counted. An
    anonymous response is withdrawn with its `withdrawal_code`."""
    code = body.withdrawal_code if body else None
    return FeedbackOut.of(await state.consultations.withdraw(feedback_id, caller, code))


@router.put("/feedback/{feedback_id}/tags", response_model=FeedbackOut)
async def tag(feedback_id: UUID, body: TagsIn, state: State, caller: Caller) -> FeedbackOut:
    """Set a response's themes (the consultation's staff); the summary counts them."""
    return FeedbackOut.of(await state.consultations.tag(feedback_id, body.tags, caller))


@router.post("/consultations/{consultation_id}/close", response_model=ConsultationOut)
async def close(consultation_id: UUID, state: State, caller: Caller) -> ConsultationOut:
    """Close the consultation now (it also closes by itself at `closes_at`) and summarise
    what people said."""
    consultation = await state.consultations.close(consultation_id, caller)
    return ConsultationOut.of(consultation, state.clock())


@router.post("/consultations/{consultation_id}/outcome", response_model=ConsultationOut)
async def publish_outcome(consultation_id: UUID, body: OutcomeIn, state: State,
                          caller: Caller) -> ConsultationOut:
    """We asked, you said, we did: publish what you did with what people said."""
    consultation = await state.consultations.publish_outcome(
        consultation_id, body.you_said, body.we_did, caller)
    return ConsultationOut.of(consultation, state.clock())
