"""HTTP routes."""

from fastapi import APIRouter

routers: list[APIRouter] = []
