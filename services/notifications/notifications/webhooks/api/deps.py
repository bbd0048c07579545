"""Dependency aliases shared by the partner webhooks' routes."""

from typing import Annotated

from fastapi import Depends, Request

from chorus.auth import Principal, authenticate
from notifications.webhooks.state import WebhooksState


def _state(request: Request) -> WebhooksState:
    state: WebhooksState = request.app.state.service.webhooks
    return state


State = Annotated[WebhooksState, Depends(_state)]
Caller = Annotated[Principal, Depends(authenticate)]
