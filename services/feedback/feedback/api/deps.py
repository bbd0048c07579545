"""Dependency aliases shared by the feedback service's routes."""

from typing import Annotated

from fastapi import Depends, Request

from chorus.auth import MaybeAuthenticated, Principal, authenticate
from feedback.bootstrap_state import FeedbackState


def _state(request: Request) -> FeedbackState:
    state: FeedbackState = request.app.state.service
    return state


async def _anonymous_allowed(request: Request, caller: MaybeAuthenticated) -> Principal | None:
    """The caller; an anonymous one counts against its address's hourly allowance."""
    if caller is None:
        state = _state(request)
        state.anonymous_limit.check(request.client.host if request.client else "unknown")
    return caller


State = Annotated[FeedbackState, Depends(_state)]
Caller = Annotated[Principal, Depends(authenticate)]
MaybeCaller = MaybeAuthenticated
LimitedCaller = Annotated[Principal | None, Depends(_anonymous_allowed)]
