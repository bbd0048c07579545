"""Pages for a network's administrators: the organisations in the network, and the dashboard
comparing them on the same definitions."""

from fastapi import APIRouter

router = APIRouter()
