"""The delivery log."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from notifications.webhooks.api.deps import Caller, State
from notifications.webhooks.api.schemas import DeliveryOut, DeliveryPage, Moment
from notifications.webhooks.domain.delivery import DeliveryStatus

router = APIRouter(prefix="/v1", tags=["partner webhooks"])


@router.get("/deliveries", response_model=DeliveryPage)
async def delivery_log(
    subscription_id: UUID, state: State, caller: Caller,
    delivery_status: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    since: Annotated[Moment | None, Query(
        description="Only deliveries queued at or after this time.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> DeliveryPage:
    """A subscription's deliveries, newest first: the event each carried, its status, every
    attempt (when, status code, latency, why it failed) and when the next one goes."""
    page = await state.deliveries.log(subscription_id, caller, status=delivery_status,
                                      since=since, limit=limit, offset=offset)
    return DeliveryPage(total=page.total, items=[DeliveryOut.of(v) for v in page.items])
