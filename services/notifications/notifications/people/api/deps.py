"""Dependency aliases shared by the people half's routes."""

from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request

from chorus.auth import Authenticated, Forbidden, Principal, Role, require
from notifications.people.state import People


def _people(request: Request) -> People:
    people: People = request.app.state.service.people
    return people


async def _themself(participant_id: UUID, caller: Authenticated) -> Principal:
    """The participant the path names, signed in as themself; anyone else is refused."""
    if not caller.is_participant(participant_id):
        raise Forbidden("only the participant themself may see or change this")
    return caller


async def _registry(caller: Annotated[Principal, Depends(require(Role.SERVICE))]) -> Principal:
    if not caller.is_service("registry"):
        raise Forbidden("only the registry service sends sign-in codes")
    return caller


PeopleDep = Annotated[People, Depends(_people)]
Themself = Annotated[Principal, Depends(_themself)]
RegistryService = Annotated[Principal, Depends(_registry)]
