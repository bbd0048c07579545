"""Routes for partner subscriptions: created, read, listed, rotated, replayed, deleted."""

from datetime import timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from notifications.webhooks.api.deps import Caller, State
from notifications.webhooks.api.schemas import (
    EnabledOut,
    ReplayIn,
    ReplayOut,
    RotatedOut,
    RotationIn,
    SubscriptionCreatedOut,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPage,
)
from notifications.webhooks.application.subscriptions import NewSubscription

router = APIRouter(prefix="/v1", tags=["partner webhooks"])


@router.post("/subscriptions", status_code=status.HTTP_201_CREATED,
             response_model=SubscriptionCreatedOut)
async def subscribe(body: SubscriptionIn, state: State, caller: Caller) -> SubscriptionCreatedOut:
    """Subscribe your organisation's endpoint to its network's events. Each delivery is a
    CloudEvent (structured JSON) signed per Standard Webhooks; the signing secret is in
    this answer and never shown again. For the organisation's staff, or its network's
    admins."""
    new = NewSubscription(url=body.url, event_types=tuple(body.event_types),
                          network_id=body.network_id, organisation_id=body.organisation_id,
                          description=body.description)
    return SubscriptionCreatedOut.with_secret(await state.subscriptions.create(new, caller))


@router.get("/subscriptions", response_model=SubscriptionPage)
async def browse(
    state: State, caller: Caller, organisation_id: UUID | None = None,
    network_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> SubscriptionPage:
    """The subscriptions you manage, newest first: your organisation's, or as a network
    admin your network's (filter by organisation)."""
    page = await state.subscriptions.browse(caller, organisation_id=organisation_id,
                                            network_id=network_id, limit=limit, offset=offset)
    return SubscriptionPage(total=page.total, items=[SubscriptionOut.of(v) for v in page.items])


@router.get("/subscriptions/{subscription_id}", response_model=SubscriptionOut)
async def read(subscription_id: UUID, state: State, caller: Caller) -> SubscriptionOut:
    """A subscription: its endpoint, event types, and whether it is active or was disabled
    (and why). Never its secret."""
    return SubscriptionOut.of(await state.subscriptions.get(subscription_id, caller))


@router.delete("/subscriptions/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT,
               response_class=Response)
async def unsubscribe(subscription_id: UUID, state: State, caller: Caller) -> Response:
    """Stop the subscription: nothing more is sent to it, and its secret is destroyed."""
    await state.subscriptions.delete(subscription_id, caller)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/subscriptions/{subscription_id}/rotate-secret", response_model=RotatedOut)
async def rotate_secret(subscription_id: UUID, state: State, caller: Caller,
                        body: RotationIn | None = None) -> RotatedOut:
    """A new signing secret, shown this once. Until the overlap ends every delivery carries
    two signatures, one for each secret, so either verifies."""
    overlap = timedelta(seconds=(body or RotationIn()).overlap_seconds)
    rotated = await state.subscriptions.rotate_secret(subscription_id, overlap, caller)
    until = rotated.subscription.previous_secret_valid_until
    assert until is not None
    return RotatedOut(subscription_id=subscription_id, secret=rotated.secret,
                      previous_secret_valid_until=until)


@router.post("/subscriptions/{subscription_id}/enable", response_model=EnabledOut)
async def enable(subscription_id: UUID, state: State, caller: Caller) -> EnabledOut:
    """Sending resumes to an endpoint that was disabled (it said it was gone, or kept
    failing): what it missed while failing and while disabled is sent again, in order per
    aggregate, each with its webhook-id unchanged. 409 unless it is disabled."""
    resumed = await state.deliveries.enable(subscription_id, caller)
    return EnabledOut(subscription=SubscriptionOut.of(
        await state.subscriptions.get(subscription_id, caller)), resumed=resumed)


@router.post("/subscriptions/{subscription_id}/replay", status_code=status.HTTP_202_ACCEPTED,
             response_model=ReplayOut)
async def replay(subscription_id: UUID, body: ReplayIn, state: State,
                 caller: Caller) -> ReplayOut:
    """Send one delivery again, or every delivery since a time: each as a new attempt with
    the same `webhook-id`, so receivers that already have it can tell."""
    count = await state.deliveries.replay(subscription_id, caller, delivery_id=body.delivery_id,
                                          since=body.since)
    return ReplayOut(replayed=count)
