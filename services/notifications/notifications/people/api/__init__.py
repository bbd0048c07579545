"""The people half's HTTP routes."""

from fastapi import APIRouter

from notifications.people.api.internal import router as internal_router
from notifications.people.api.preferences import router as preferences_router

routers: list[APIRouter] = [preferences_router, internal_router]

__all__ = ["routers"]
