"""Routes for matching and invitations: who fits, who is offered it, who says yes."""

from dataclasses import asdict
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from chorus.auth import Forbidden
from chorus.errors import NotFound
from opportunities.api.deps import Caller, State
from opportunities.api.opportunities import visible
from opportunities.api.schemas import (
    InvitationOut,
    InviteIn,
    MatchesOut,
    MatchOut,
    OpportunityOut,
    PairOut,
    ReasonOut,
    StandDownIn,
    WeightsIn,
)
from opportunities.application.matching import wanted_for
from opportunities.domain.matching import Weights

router = APIRouter(prefix="/v1", tags=["matching and invitations"])


def _points(milli: int) -> float:
    return milli / 1000


@router.get("/opportunities/{opportunity_id}/matches", response_model=MatchesOut)
async def matches(opportunity_id: UUID, state: State, caller: Caller,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50) -> MatchesOut:
    """The people who fit, best first, with the reasons for each score.

    Only people who pass every hard filter appear (active, consent covers your organisation,
    a way of taking part in common, every access need met, within travel, available). The
    score favours lived experience of the topics, the kinds of involvement people asked for
    and their commitment, and spreads involvement: people involved most in the last 90 days
    come lower, people never involved and people from the most deprived areas come higher.
    Declining an invitation never lowers anyone's ranking.
    """
    opportunity = visible(await state.opportunities.get(opportunity_id), caller)
    if not caller.is_staff_of(opportunity.organisation_id):
        raise Forbidden("only the organisation that offers this opportunity sees its matches")
    weights = await state.matcher.weights(opportunity.network_id)
    ranking = await state.matcher.rank(wanted_for(opportunity), weights, state.clock(), limit)
    invited = {i.participant_id for i in opportunity.invitations}
    return MatchesOut(
        opportunity_id=opportunity_id, eligible=ranking.eligible,
        excluded=dict(ranking.excluded),
        matches=[MatchOut(participant_id=m.participant_id, score=_points(m.score),
                          invited=m.participant_id in invited,
                          reasons=[ReasonOut(factor=r.factor, points=_points(r.points),
                                             detail=r.detail) for r in m.reasons])
                 for m in ranking.matches],
        pairs=[PairOut(participant_ids=list(p.participant_ids), score=_points(p.score),
                       reason=p.reason) for p in ranking.pairs])


@router.post("/opportunities/{opportunity_id}/invitations", status_code=status.HTTP_201_CREATED,
             response_model=list[InvitationOut])
async def invite(opportunity_id: UUID, body: InviteIn, state: State,
                 caller: Caller) -> list[InvitationOut]:
    """Invite chosen people, or the best-matched people not invited yet (`top`).

    Everyone invited must pass every hard filter of matching; the answer names who does
    not and why. Invitations lapse after 14 days, or when the opportunity closes.
    """
    invitations = await state.opportunities.invite(opportunity_id, body.participant_ids,
                                                   body.top, caller)
    return [InvitationOut.of(i) for i in invitations]


@router.get("/opportunities/{opportunity_id}/invitations", response_model=list[InvitationOut])
async def invitations(opportunity_id: UUID, state: State, caller: Caller) -> list[InvitationOut]:
    """Every invitation to this opportunity and where it stands (the organisation's staff)."""
    opportunity = visible(await state.opportunities.get(opportunity_id), caller)
    if not caller.is_staff_of(opportunity.organisation_id):
        raise Forbidden("only the organisation that offers this opportunity sees its "
                        "invitations")
    return [InvitationOut.of(i) for i in opportunity.invitations]


@router.post("/invitations/{invitation_id}/accept", response_model=InvitationOut)
async def accept(invitation_id: UUID, state: State, caller: Caller) -> InvitationOut:
    """Say yes: a seat if one is free, else a place on the waitlist."""
    return await _answered(invitation_id, state, caller, accept=True)


@router.post("/invitations/{invitation_id}/decline", response_model=InvitationOut)
async def decline(invitation_id: UUID, state: State, caller: Caller) -> InvitationOut:
    """Say no. No reason is asked, and it is never held against you."""
    return await _answered(invitation_id, state, caller, accept=False)


async def _answered(invitation_id: UUID, state: State, caller: Caller, *,
                    accept: bool) -> InvitationOut:
    answer = state.opportunities.accept if accept else state.opportunities.decline
    return InvitationOut.of(await answer(invitation_id, caller))


@router.post("/opportunities/{opportunity_id}/stand-down", response_model=OpportunityOut)
async def stand_down(opportunity_id: UUID, body: StandDownIn, state: State,
                     caller: Caller) -> OpportunityOut:
    """Give up a seat (the person, or staff for them); the first on the waitlist gets it."""
    opportunity = await state.opportunities.stand_down(opportunity_id, body.participant_id,
                                                       caller)
    return OpportunityOut.of(opportunity)


@router.get("/networks/{network_id}/matching-weights", response_model=WeightsIn)
async def weights(network_id: UUID, state: State, caller: Caller) -> WeightsIn:
    """The network's weights for matching, in milli-points."""
    if caller.network_id not in (None, network_id):
        raise NotFound(f"network {network_id} does not exist")
    return WeightsIn(**asdict(await state.matcher.weights(network_id)))


@router.put("/networks/{network_id}/matching-weights", response_model=WeightsIn)
async def set_weights(network_id: UUID, body: WeightsIn, state: State,
                      caller: Caller) -> WeightsIn:
    """Set the network's weights for matching (the network's admin)."""
    chosen = await state.matcher.set_weights(network_id, Weights(**body.model_dump()), caller,
                                             state.clock())
    return WeightsIn(**asdict(chosen))
