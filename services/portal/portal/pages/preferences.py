"""How a participant wants to hear from Chorus: their notification preferences, and what we
have told them."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from portal import claims
from portal.backend import ServiceRefused
from portal.forms import FieldError
from portal.session import SignedIn, flash
from portal.web import Participant, Portal, Posted, State, go, render

router = APIRouter()

FREQUENCIES = [
    ("immediate", "Each notice at once", "We email you as soon as there is something to tell "
                                         "you."),
    ("daily", "A daily round-up", "One email each morning, gathering everything from every "
                                  "organisation."),
    ("weekly", "A weekly round-up", "One email each Monday morning, gathering everything from "
                                    "every organisation."),
]
NOTICE_STATUS = {"pending": "Waiting to be sent", "sending": "On its way",
                 "gathered": "In your next round-up", "sent": "Sent",
                 "failed": "Could not be sent", "skipped": "Not sent",
                 "cancelled": "No longer needed", "uncertain": "May have been sent"}
RECENT = 20


def _path(person: SignedIn, what: str) -> str:
    return f"/v1/participants/{person.participant_id}/{what}"


async def _recent(portal: Portal, person: SignedIn) -> list[dict[str, Any]]:
    page = await portal.backend.get("notifications", _path(person, "notifications"),
                                    person.token, limit=RECENT)
    return list(page["items"])


def _page(request: Request, chosen: dict[str, Any], notices: list[dict[str, Any]],
          errors: list[FieldError] | None = None) -> HTMLResponse:
    return render(request, "preferences.html", errors=errors, chosen=chosen, notices=notices,
                  frequencies=FREQUENCIES, notice_status=NOTICE_STATUS)


def _as_form(preferences: dict[str, Any]) -> dict[str, Any]:
    quiet = preferences.get("quiet_hours") or {}
    return {"frequency": preferences.get("frequency", "immediate"),
            "quiet_from": str(quiet.get("start", ""))[:5],  # 21:30:00 as people write it
            "quiet_to": str(quiet.get("end", ""))[:5]}


@router.get("/my/notifications", response_class=HTMLResponse)
async def preferences(request: Request, person: Participant, portal: State) -> HTMLResponse:
    chosen, notices = await asyncio.gather(
        portal.backend.get("notifications", _path(person, "notification-preferences"),
                           person.token),
        _recent(portal, person))
    return _page(request, _as_form(chosen), notices)


@router.post("/my/notifications", response_class=HTMLResponse)
async def choose(request: Request, person: Participant, portal: State, form: Posted) -> Response:
    body, errors = claims.preferences(form)
    if not errors:
        try:
            await portal.backend.call("notifications", "PUT",
                                      _path(person, "notification-preferences"),
                                      token=person.token, json=body)
        except ServiceRefused as refused:
            if refused.status in (401, 403):
                raise
            errors = claims.preferences_refused(refused.detail, refused.errors)
    if errors:
        given = {name: form.one(name) for name in claims.PREFERENCE_FIELDS}
        return _page(request, given, await _recent(portal, person), errors)
    flash(request, "Your choices about how we tell you things have been saved.")
    return go("/my/notifications")
