"""The partner webhooks' HTTP routes."""

from fastapi import APIRouter

from notifications.webhooks.api.deliveries import router as deliveries_router
from notifications.webhooks.api.subscriptions import router as subscriptions_router

routers: list[APIRouter] = [subscriptions_router, deliveries_router]

__all__ = ["routers"]
