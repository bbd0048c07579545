"""Answering a consultation: signed in as a participant, or anonymously when it is public."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from portal import forms
from portal.backend import ServiceRefused
from portal.session import flash, signed_in
from portal.web import Portal, Posted, State, go, render

router = APIRouter()


async def _consultation(portal: Portal, consultation_id: str, token: str | None) -> Any:
    return await portal.backend.get("feedback", f"/v1/consultations/{consultation_id}", token)


@router.get("/consultations/{consultation_id}", response_class=HTMLResponse)
async def consultation(request: Request, consultation_id: str, portal: State) -> HTMLResponse:
    person = signed_in(request)
    found = await _consultation(portal, consultation_id, person.token if person else None)
    return render(request, "consultation.html", consultation=found, given={})


@router.post("/consultations/{consultation_id}", response_class=HTMLResponse)
async def respond(request: Request, consultation_id: str, portal: State,
                  form: Posted) -> Response:
    person = signed_in(request)
    token = person.token if person else None
    found = await _consultation(portal, consultation_id, token)
    body, errors = forms.answers(form, found["questions"])
    if not errors:
        try:
            await portal.backend.post("feedback", f"/v1/consultations/{consultation_id}/feedback",
                                      token, json=body)
        except ServiceRefused as refused:
            errors = [forms.FieldError(f"q-{found['questions'][0]['question_id']}",
                                       refused.detail)]
    if errors:
        return render(request, "consultation.html", errors=errors, consultation=found,
                      given=form.values)
    flash(request, "Thank you. Your answers have been sent. If they lead to a change, you "
                   "will see it under “What happened because of my input”."
          if person and person.is_participant else "Thank you. Your answers have been sent.")
    return go("/my/consultations" if person and person.is_participant else "/")
