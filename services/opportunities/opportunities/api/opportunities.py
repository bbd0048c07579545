"""Routes for opportunities: publish, browse, change, withdraw, close."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, status
from sqlalchemy import and_, exists, func, select

from chorus.auth import Principal
from chorus.contracts.vocabulary import OpportunityKind, Stage, Topic
from chorus.errors import NotFound
from opportunities.api.deps import Caller, State
from opportunities.api.schemas import (
    OpportunityIn,
    OpportunityOut,
    OpportunityPage,
    OpportunityPatch,
)
from opportunities.domain.opportunity import Opportunity
from opportunities.projections import listing, listing_topics

router = APIRouter(prefix="/v1", tags=["opportunities"])

IfMatch = Annotated[str | None, Header(pattern=r'^(W/)?"?[0-9]{1,9}"?$', description=(
    "The version you read (from `version`); the change is refused if someone changed the "
    "opportunity since."))]


def visible(opportunity: Opportunity, caller: Principal) -> Opportunity:
    """Opportunities are the network's shared data: visible within their network only."""
    if caller.network_id not in (None, opportunity.network_id):
        raise NotFound(f"opportunity {opportunity.id} does not exist")
    return opportunity


@router.post("/opportunities", status_code=status.HTTP_201_CREATED,
             response_model=OpportunityOut)
async def publish(body: OpportunityIn, state: State, caller: Caller) -> OpportunityOut:
    """Publish a way to be involved, offered to the network's pool by your organisation."""
    opportunity = await state.opportunities.publish(body.to_domain(), caller)
    return OpportunityOut.of(opportunity)


@router.get("/opportunities", response_model=OpportunityPage)
async def browse(
    state: State, caller: Caller,
    network_id: UUID | None = None, organisation_id: UUID | None = None,
    kind: OpportunityKind | None = None, topic: Topic | None = None, stage: Stage | None = None,
    online: bool | None = None,
    open_only: Annotated[bool, Query(description="Only those still open for invitations")] = True,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> OpportunityPage:
    """Opportunities in your network, newest first, filtered and a page at a time."""
    network_id = caller.network_id or network_id
    conditions: list[Any] = []
    wanted = {listing.c.network_id: network_id, listing.c.organisation_id: organisation_id,
              listing.c.kind: kind, listing.c.stage: stage, listing.c.online: online}
    conditions += [column == value for column, value in wanted.items() if value is not None]
    if topic is not None:
        conditions.append(exists().where(and_(
            listing_topics.c.opportunity_id == listing.c.opportunity_id,
            listing_topics.c.topic == topic)))
    if open_only:
        today = state.clock().date()
        conditions += [listing.c.status == "open", listing.c.closing_date >= today]
    async with state.opportunities.db.snapshot() as tx:
        total = (await tx.conn.execute(select(func.count()).select_from(listing)
                                       .where(*conditions))).scalar_one()
        rows = (await tx.conn.execute(
            select(listing).where(*conditions)
            .order_by(listing.c.published_at.desc(), listing.c.opportunity_id)
            .limit(limit).offset(offset))).mappings().all()
    items = [{"opportunity_id": r["opportunity_id"], "organisation_id": r["organisation_id"],
              "network_id": r["network_id"], "status": r["status"], "assigned": r["assigned"],
              **r["details"]} for r in rows]
    return OpportunityPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/opportunities/{opportunity_id}", response_model=OpportunityOut)
async def read(opportunity_id: UUID, state: State, caller: Caller) -> OpportunityOut:
    """One opportunity, as it is now."""
    return OpportunityOut.of(visible(await state.opportunities.get(opportunity_id), caller))


@router.patch("/opportunities/{opportunity_id}", response_model=OpportunityOut)
async def change(opportunity_id: UUID, body: OpportunityPatch, state: State, caller: Caller,
                 if_match: IfMatch = None) -> OpportunityOut:
    """Change an open opportunity's facts; what you leave out stays as it is."""
    current = visible(await state.opportunities.get(opportunity_id), caller)
    details = body.applied_to(current.details)
    version = None if if_match is None else int(if_match.removeprefix("W/").strip('"'))
    opportunity = await state.opportunities.update(opportunity_id, details, caller,
        expected_version=current.version if version is None else version)
    return OpportunityOut.of(opportunity)


@router.post("/opportunities/{opportunity_id}/withdraw", response_model=OpportunityOut)
async def withdraw(opportunity_id: UUID, state: State, caller: Caller) -> OpportunityOut:
    """Stop the work: open invitations are withdrawn and people are told."""
    return OpportunityOut.of(await state.opportunities.withdraw(opportunity_id, caller))


@router.post("/opportunities/{opportunity_id}/close", response_model=OpportunityOut)
async def close(opportunity_id: UUID, state: State, caller: Caller) -> OpportunityOut:
    """Stop inviting; the people assigned carry on and sessions can still be recorded."""
    return OpportunityOut.of(await state.opportunities.close(opportunity_id, caller))
