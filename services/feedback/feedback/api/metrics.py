"""Routes for the accountability metrics."""

from uuid import UUID

from fastapi import APIRouter

from feedback.api.deps import Caller, State
from feedback.api.schemas import FigureOut, MetricsOut, QuarterOut
from feedback.application.metrics import DEFINITIONS, Figures, Quarter
from feedback.domain.measures import percent

router = APIRouter(prefix="/v1/metrics", tags=["accountability metrics"])


def _out(figures: Figures, state: State) -> MetricsOut:
    return MetricsOut(
        network_id=figures.network_id, organisation_id=figures.organisation_id,
        figures={name: FigureOut(value=f.value, unit=f.unit,
                                 numerator=f.numerator, denominator=f.denominator,
                                 withheld=f.withheld, definition=DEFINITIONS[name])
                 for name, f in figures.figures.items()},
        opportunities_by_stage=figures.opportunities_by_stage,
        loop_closure_by_quarter=[_quarter(q) for q in figures.loop_closure_by_quarter],
        computed_at=state.clock())


def _quarter(quarter: Quarter) -> QuarterOut:
    return QuarterOut(period=quarter.name, starts_on=quarter.starts_on,
                      ends_on=quarter.ends_on, closed=quarter.closed,
                      outcomes_published=quarter.outcomes_published,
                      led_to_change=quarter.led_to_change,
                      outcomes_published_percent=percent(quarter.outcomes_published,
                                                         quarter.closed),
                      led_to_change_percent=percent(quarter.led_to_change, quarter.closed))


@router.get("/organisations/{organisation_id}", response_model=MetricsOut)
async def for_organisation(organisation_id: UUID, state: State, caller: Caller) -> MetricsOut:
    """One organisation's accountability metrics, each with its definition, numerator and
    denominator: loop closure (outcomes published, days to outcome), what led to change,
    involvement from the beginning, who is involved and how evenly, reach into the most
    deprived areas, and days to pay expenses; and loop closure quarter by quarter. For the
    network's staff and admins."""
    return _out(await state.metrics.for_organisation(organisation_id, caller, state.clock()),
                state)


@router.get("/networks/{network_id}", response_model=MetricsOut)
async def for_network(network_id: UUID, state: State, caller: Caller) -> MetricsOut:
    """The network's accountability metrics on the same definitions, plus the share of
    invitations declined (never per person). For the network's staff and admins."""
    return _out(await state.metrics.for_network(network_id, caller, state.clock()), state)
