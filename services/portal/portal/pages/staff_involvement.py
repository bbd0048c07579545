"""Pages for staff after a session: who came, their expenses to approve and pay, payment for
their time; and the learning the organisation publishes."""

from fastapi import APIRouter

router = APIRouter()
