"""Dependency aliases shared by the registry's routes."""

from typing import Annotated

from fastapi import Depends, Request

from chorus.auth import Principal, authenticate
from registry.application.access import Access
from registry.application.directory import Registry
from registry.application.participants import Participants
from registry.bootstrap_state import RegistryState


def _state(request: Request) -> RegistryState:
    state: RegistryState = request.app.state.service
    return state


def _directory(request: Request) -> Registry:
    return _state(request).directory


def _participants(request: Request) -> Participants:
    return _state(request).participants


def _access(request: Request) -> Access:
    return _state(request).access


DirectoryDep = Annotated[Registry, Depends(_directory)]
ParticipantsDep = Annotated[Participants, Depends(_participants)]
AccessDep = Annotated[Access, Depends(_access)]
Caller = Annotated[Principal, Depends(authenticate)]
