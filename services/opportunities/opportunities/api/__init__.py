"""The opportunities service's HTTP routes."""

from opportunities.api.invitations import router as invitations_router
from opportunities.api.involvement import router as involvement_router
from opportunities.api.opportunities import router as opportunities_router

routers = [opportunities_router, invitations_router, involvement_router]

__all__ = ["routers"]
