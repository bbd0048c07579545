"""The feedback service's HTTP routes."""

from feedback.api.changes import router as changes_router
from feedback.api.consultations import router as consultations_router
from feedback.api.metrics import router as metrics_router
from feedback.api.stories import router as stories_router

routers = [consultations_router, stories_router, changes_router, metrics_router]

__all__ = ["routers"]
