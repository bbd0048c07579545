"""How a participant wants to hear from Chorus: their notification preferences."""

from fastapi import APIRouter

router = APIRouter()
