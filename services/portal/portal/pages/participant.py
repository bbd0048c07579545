"""A participant's own pages: how they want to be involved, whom they share it with,
stepping back, their invitations, consultations, and what their input led to."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from chorus.contracts.vocabulary import (
    AccessibilityNeed,
    Commitment,
    ContactChannel,
    InvolvementKind,
    Method,
    ParticipantRole,
    PaymentPreference,
    SupportWanted,
    Topic,
)
from portal import forms
from portal.backend import ServiceRefused
from portal.session import SignedIn, flash, sign_out
from portal.web import Participant, Portal, Posted, State, go, render

router = APIRouter()

PROFILE_CHOICES = {"roles": ParticipantRole, "methods": Method, "kinds_wanted": InvolvementKind,
                   "topics": Topic, "commitment": Commitment,
                   "accessibility_needs": AccessibilityNeed, "support_wanted": SupportWanted,
                   "payment_preference": PaymentPreference}


async def me(portal: Portal, person: SignedIn) -> dict[str, Any]:
    record: dict[str, Any] = await portal.backend.get(
        "registry", f"/v1/participants/{person.participant_id}", person.token)
    return record


async def organisations(portal: Portal, person: SignedIn) -> dict[str, str]:
    """The network's organisations by id, to name them on the page."""
    members = await portal.backend.get(
        "registry", f"/v1/networks/{person.network_id}/organisations", person.token)
    return {str(m["organisation_id"]): str(m["name"]) for m in members}


@router.get("/my", response_class=HTMLResponse)
async def home(request: Request, person: Participant, portal: State) -> HTMLResponse:
    record, involvement = await asyncio.gather(me(portal, person), _involvement(portal, person))
    waiting = [i for i in involvement["invitations"] if i["status"] == "invited"]
    return render(request, "my.html", record=record, waiting=len(waiting))


@router.get("/my/profile", response_class=HTMLResponse)
async def profile_page(request: Request, person: Participant, portal: State) -> HTMLResponse:
    record = await me(portal, person)
    return render(request, "profile.html", profile=record["profile"], choices=PROFILE_CHOICES)


@router.post("/my/profile", response_class=HTMLResponse)
async def change_profile(request: Request, person: Participant, portal: State,
                         form: Posted) -> Response:
    record = await me(portal, person)
    body, errors = forms.profile(form, record["profile"])
    if not errors:
        try:
            await portal.backend.call("registry", "PATCH",
                                      f"/v1/participants/{person.participant_id}/profile",
                                      token=person.token, json=body)
        except ServiceRefused as refused:
            errors = forms.from_service(refused.errors, PROFILE_CHOICES) or [
                forms.FieldError("methods", refused.detail)]
    if errors:
        return render(request, "profile.html", errors=errors, profile=body,
                      choices=PROFILE_CHOICES)
    flash(request, "Your involvement profile has been saved.")
    return go("/my")


@router.get("/my/sharing", response_class=HTMLResponse)
async def consent_page(request: Request, person: Participant, portal: State) -> HTMLResponse:
    record, named = await asyncio.gather(me(portal, person), organisations(portal, person))
    return render(request, "consent.html", consent=record["consent"], organisations=named,
                  channels=ContactChannel)


@router.post("/my/sharing", response_class=HTMLResponse)
async def change_consent(request: Request, person: Participant, portal: State,
                         form: Posted) -> Response:
    record, named = await asyncio.gather(me(portal, person), organisations(portal, person))
    body, errors = forms.consent(form, record["consent"], named)
    if not errors:
        await portal.backend.call("registry", "PUT",
                                  f"/v1/participants/{person.participant_id}/consent",
                                  token=person.token, json=body)
        flash(request, "Your choices about sharing and contact have been saved.")
        return go("/my")
    return render(request, "consent.html", errors=errors, consent=body, organisations=named,
                  channels=ContactChannel)


@router.get("/my/step-back", response_class=HTMLResponse)
async def step_back_page(request: Request, person: Participant, portal: State) -> HTMLResponse:
    return render(request, "step_back.html", record=await me(portal, person))


@router.post("/my/pause")
async def pause(request: Request, person: Participant, portal: State, _: Posted) -> Response:
    await portal.backend.post("registry", f"/v1/participants/{person.participant_id}/pause",
                              person.token)
    flash(request, "You have paused. Nobody will invite you or ask for your views until you "
                   "come back. This changes nothing about your care.")
    return go("/my")


@router.post("/my/resume")
async def resume(request: Request, person: Participant, portal: State, _: Posted) -> Response:
    await portal.backend.post("registry", f"/v1/participants/{person.participant_id}/resume",
                              person.token)
    flash(request, "Welcome back. You can be invited again.")
    return go("/my")


@router.post("/my/leave")
async def leave(request: Request, person: Participant, portal: State, _: Posted) -> Response:
    await portal.backend.post("registry", f"/v1/participants/{person.participant_id}/leave",
                              person.token)
    sign_out(request)
    flash(request, "You have left Chorus. Thank you for everything you gave. This changes "
                   "nothing about your care.")
    return go("/")


async def _involvement(portal: Portal, person: SignedIn) -> dict[str, Any]:
    record: dict[str, Any] = await portal.backend.get(
        "opportunities", f"/v1/participants/{person.participant_id}/involvement", person.token)
    return record


@router.get("/my/opportunities", response_class=HTMLResponse)
async def opportunities(request: Request, person: Participant, portal: State) -> HTMLResponse:
    """Invitations first (matching chose them for this person), then what else is open."""
    involvement, page, named = await asyncio.gather(
        _involvement(portal, person),
        portal.backend.get("opportunities", "/v1/opportunities", person.token, limit=50),
        organisations(portal, person))
    invitations = sorted(involvement["invitations"], key=lambda i: str(i["invited_at"]),
                         reverse=True)
    offered = await asyncio.gather(*(
        portal.backend.get("opportunities", f"/v1/opportunities/{i['opportunity_id']}",
                           person.token) for i in invitations))
    invited = {str(i["opportunity_id"]) for i in invitations}
    return render(request, "opportunities.html", organisations=named,
                  invitations=list(zip(invitations, offered, strict=True)),
                  others=[o for o in page["items"] if str(o["opportunity_id"]) not in invited])


@router.get("/my/opportunities/{opportunity_id}", response_class=HTMLResponse)
async def opportunity(request: Request, opportunity_id: str, person: Participant,
                      portal: State) -> HTMLResponse:
    found, involvement, named = await asyncio.gather(
        portal.backend.get("opportunities", f"/v1/opportunities/{opportunity_id}",
                           person.token),
        _involvement(portal, person), organisations(portal, person))
    invitation = next((i for i in involvement["invitations"]
                       if str(i["opportunity_id"]) == opportunity_id), None)
    answered = request.session.pop("answered", None)
    if invitation and answered and answered[0] == str(invitation["invitation_id"]):
        # The involvement record catches up a moment later: show their own answer now.
        invitation = invitation | {"status": answered[1]}
    return render(request, "opportunity.html", opportunity=found, invitation=invitation,
                  organisations=named)


@router.post("/my/invitations/{invitation_id}/{answer}")
async def answer_invitation(request: Request, invitation_id: str, answer: str,
                            person: Participant, portal: State, form: Posted) -> Response:
    if answer not in ("accept", "decline"):
        return go("/my/opportunities")
    done = await portal.backend.post("opportunities",
                                     f"/v1/invitations/{invitation_id}/{answer}", person.token)
    request.session["answered"] = [invitation_id, done["status"]]
    flash(request, {"assigned": "Thank you for saying yes. You have a place.",
                    "waitlisted": "Thank you for saying yes. All places are taken for now, so "
                                  "you are on the waiting list.",
                    "declined": "You have said no to this invitation. That is fine: it "
                                "never counts against you."}.get(done["status"], "Done."))
    return go(f"/my/opportunities/{done['opportunity_id']}")


@router.get("/my/consultations", response_class=HTMLResponse)
async def consultations(request: Request, person: Participant, portal: State) -> HTMLResponse:
    page = await portal.backend.get("feedback", "/v1/consultations", person.token,
                                    status="open", limit=50)
    return render(request, "consultations.html", items=page["items"])


@router.get("/my/changes", response_class=HTMLResponse)
async def what_my_input_led_to(request: Request, person: Participant,
                               portal: State) -> HTMLResponse:
    """The changes linked to this person's responses and stories, across every
    organisation."""
    page, named = await asyncio.gather(
        portal.backend.get("feedback", f"/v1/participants/{person.participant_id}/changes",
                           person.token, limit=100),
        organisations(portal, person))
    changes = await asyncio.gather(*(
        portal.backend.get("feedback", f"/v1/changes/{item['change_id']}")
        for item in page["items"]))
    return render(request, "my_changes.html", changes=changes, organisations=named)


@router.get("/my/stories/new", response_class=HTMLResponse)
async def new_story(request: Request, person: Participant, portal: State) -> HTMLResponse:
    return render(request, "story.html", given={},
                  organisations=await organisations(portal, person))


@router.post("/my/stories/new", response_class=HTMLResponse)
async def share_story(request: Request, person: Participant, portal: State,
                      form: Posted) -> Response:
    named = await organisations(portal, person)
    body, errors = forms.story(form, named)
    if errors:
        return render(request, "story.html", errors=errors, given=form.values,
                      organisations=named)
    await portal.backend.post("feedback", "/v1/stories", person.token, json=body)
    flash(request, "Thank you for sharing your story. The partnership's moderators read it "
                   "first; they remove names and contact details before anyone else sees it.")
    return go("/my")
