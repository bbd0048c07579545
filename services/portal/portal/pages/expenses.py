"""A participant's expenses (with a mileage calculator) and the payments they have had."""

from fastapi import APIRouter

router = APIRouter()
