"""Dependency aliases shared by the opportunities service's routes."""

from typing import Annotated

from fastapi import Depends, Request

from chorus.auth import Principal, authenticate
from opportunities.bootstrap_state import OpportunitiesState


def _state(request: Request) -> OpportunitiesState:
    state: OpportunitiesState = request.app.state.service
    return state


State = Annotated[OpportunitiesState, Depends(_state)]
Caller = Annotated[Principal, Depends(authenticate)]
