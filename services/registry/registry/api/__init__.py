"""The registry's HTTP routes."""

from registry.api.access import router as access_router
from registry.api.directory import internal_router as organisations_internal_router
from registry.api.directory import router as directory_router
from registry.api.participants import router as participants_router

routers = [directory_router, participants_router, access_router,
           organisations_internal_router]

__all__ = ["routers"]
