"""Routes for the accountability metrics."""

from uuid import UUID

from fastapi import APIRouter

from feedback.api.deps import Caller, State
from feedback.api.schemas import FigureOut, MetricsOut
from feedback.application.metrics import DEFINITIONS, Figures

router = APIRouter(prefix="/v1/metrics", tags=["accountability metrics"])


def _out(figures: Figures, state: State) -> MetricsOut:
    return MetricsOut(
        network_id=figures.network_id, organisation_id=figures.organisation_id,
        figures={name: FigureOut(value=f.value, unit=f.unit,
                                 numerator=f.numerator, denominator=f.denominator,
                                 withheld=f.withheld, definition=DEFINITIONS[name])
                 for name, f in figures.figures.items()},
        opportunities_by_stage=figures.opportunities_by_stage,
        computed_at=state.clock())


@router.get("/organisations/{organisation_id}", response_model=MetricsOut)
async def for_organisation(organisation_id: UUID, state: State, caller: Caller) -> MetricsOut:
    """One organisation's accountability metrics, each with its definition, numerator and
    denominator: loop closure (outcomes published, days to outcome), what led to change,
    involvement from the beginning, who is involved and how evenly, reach into the most
    deprived areas, and days to pay expenses. For the network's staff and admins."""
    return _out(await state.metrics.for_organisation(organisation_id, caller), state)


@router.get("/networks/{network_id}", response_model=MetricsOut)
async def for_network(network_id: UUID, state: State, caller: Caller) -> MetricsOut:
    """The network's accountability metrics on the same definitions, plus the share of
    invitations declined (never per person). For the network's staff and admins."""
    return _out(await state.metrics.for_network(network_id, caller), state)
