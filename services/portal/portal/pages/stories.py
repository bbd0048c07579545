"""Stories: the network's moderators publish, redact or reject what people shared; an
organisation answers the stories about it in public; everyone reads the published ones."""

import asyncio
from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from portal import story_forms
from portal.backend import ServiceRefused
from portal.forms import FieldError, Form
from portal.pages.participant import organisations
from portal.session import SignedIn, flash, signed_in
from portal.web import Admin, Portal, Posted, Staff, State, go, render

router = APIRouter()

PUBLISHED = "published"
AWAITING = "awaiting_moderation"
REJECTED = "rejected"
QUEUE = 20
RECENT = 5
PER_PAGE = 20

Story = dict[str, Any]


def _story_id(text: str) -> str:
    """A story's id as the address gave it; anything else is a page that does not exist."""
    try:
        return str(UUID(text))
    except ValueError:
        raise HTTPException(404) from None


async def _names(portal: Portal, network_id: str, token: str | None) -> dict[str, str]:
    """The network's organisations by id, to name them (the registry lists them to anyone);
    none when it does not know the network."""
    try:
        members = await portal.backend.get("registry",
                                           f"/v1/networks/{network_id}/organisations", token)
    except ServiceRefused:
        return {}
    return {str(m["organisation_id"]): str(m["name"]) for m in members}


def _refusal(refused: ServiceRefused) -> str:
    if refused.status == 409:
        return "Nothing was changed: this story has already been moderated, or cannot be " \
               "answered now."
    if refused.status == 404:
        return "Nothing was changed: that story could not be found."
    if refused.status == 403:
        return "Nothing was changed: you cannot do that to this story."
    return f"Nothing was changed: {refused.detail}"


# -- moderation: the network's admins ------------------------------------------------------


async def _network_name(portal: Portal, person: SignedIn, network_id: str) -> str:
    found = await portal.backend.get("registry", "/v1/networks", person.token)
    return next((str(n["name"]) for n in found if str(n["network_id"]) == network_id),
                "this network")


async def _queue(request: Request, network_id: str, person: SignedIn, portal: Portal,
                 failed: str | None = None, form: Form | None = None,
                 errors: list[FieldError] | None = None) -> HTMLResponse:
    async def listed(status: str, limit: int) -> dict[str, Any]:
        page: dict[str, Any] = await portal.backend.get(
            "feedback", "/v1/stories", person.token, network_id=network_id, status=status,
            limit=limit)
        return page

    waiting, published, rejected, named, network = await asyncio.gather(
        listed(AWAITING, QUEUE), listed(PUBLISHED, RECENT), listed(REJECTED, RECENT),
        _names(portal, network_id, person.token), _network_name(portal, person, network_id))
    stories = await asyncio.gather(*(
        portal.backend.get("feedback", f"/v1/stories/{item['story_id']}", person.token)
        for item in waiting["items"]))
    return render(request, "stories/queue.html", errors=errors, network_id=network_id,
                  network=network, stories=[s for s in stories if s["status"] == AWAITING],
                  waiting=waiting["total"], published=published["items"],
                  rejected=rejected["items"], organisations=named, failed=failed,
                  given=form.values if form else {})


@router.get("/admin/networks/{network_id}/stories", response_class=HTMLResponse)
async def queue(request: Request, network_id: str, person: Admin,
                portal: State) -> HTMLResponse:
    """Stories waiting for moderation: the teller's own words beside what would be
    published, the organisations named, and the three decisions."""
    return await _queue(request, network_id, person, portal)


DONE = {"publish": "is published as it was shown, with names and contact details removed. "
                   "Everyone can now read it.",
        "redact": "is published with your changes. Everyone can now read it.",
        "reject": "is not published. The person who shared it is told why."}


@router.post("/admin/networks/{network_id}/stories/{story_id}/{decision}",
             response_class=HTMLResponse)
async def moderate(request: Request, network_id: str, story_id: str, decision: str,
                   person: Admin, portal: State, form: Posted) -> Response:
    story_id = _story_id(story_id)
    if decision not in story_forms.DECISIONS:
        raise HTTPException(404)
    body, errors = story_forms.moderation(form, decision)
    if errors:
        return await _queue(request, network_id, person, portal, story_id, form,
                            story_forms.for_story(errors, story_id))
    try:
        done = await portal.backend.post("feedback", f"/v1/stories/{story_id}/moderate",
                                         person.token, json=body)
    except ServiceRefused as refused:
        if refused.status == 401:
            raise
        flash(request, _refusal(refused))
    else:
        flash(request, f"The story “{done['title']}” {DONE[decision]}")
    return go(f"/admin/networks/{network_id}/stories")


# -- answers: an organisation's staff --------------------------------------------------------


async def _answering(request: Request, person: SignedIn, portal: Portal,
                     failed: str | None = None, form: Form | None = None,
                     errors: list[FieldError] | None = None) -> HTMLResponse:
    page, named = await asyncio.gather(
        portal.backend.get("feedback", "/v1/stories", person.token,
                           organisation_id=person.org_id, limit=50),
        organisations(portal, person))
    stories = await asyncio.gather(*(
        portal.backend.get("feedback", f"/v1/stories/{item['story_id']}", person.token)
        for item in page["items"]))
    return render(request, "stories/staff.html", errors=errors,
                  stories=[s for s in stories if s["status"] == PUBLISHED],
                  organisations=named, failed=failed, given=form.values if form else {})


@router.get("/staff/stories", response_class=HTMLResponse)
async def about_us(request: Request, person: Staff, portal: State) -> HTMLResponse:
    """The published stories that name this organisation, with its answers so far."""
    return await _answering(request, person, portal)


@router.post("/staff/stories/{story_id}/answer", response_class=HTMLResponse)
async def answer(request: Request, story_id: str, person: Staff, portal: State,
                 form: Posted) -> Response:
    story_id = _story_id(story_id)
    body, errors = story_forms.answer(form)
    if errors:
        return await _answering(request, person, portal, story_id, form,
                                story_forms.for_story(errors, story_id))
    try:
        await portal.backend.post("feedback", f"/v1/stories/{story_id}/responses",
                                  person.token, json=body)
    except ServiceRefused as refused:
        if refused.status == 401:
            raise
        flash(request, _refusal(refused))
    else:
        flash(request, "Your answer is published under the story, for everyone to read.")
    return go("/staff/stories")


# -- reading: everyone -----------------------------------------------------------------------


async def _published(portal: Portal, story_id: str) -> Story | None:
    """A published story as anyone may read it: asked for without a token, so a moderator
    or the teller looking at the public page still sees only what is published."""
    try:
        found: Story = await portal.backend.get("feedback", f"/v1/stories/{story_id}")
    except ServiceRefused as refused:
        if refused.status == 404:
            return None
        raise
    if found.get("status") != PUBLISHED or found.get("text") is None:
        return None
    return {key: value for key, value in found.items()
            if key not in ("own_words", "participant_id", "rejected_because")}


async def _named_in(portal: Portal, request: Request,
                    stories: list[Story]) -> dict[str, str]:
    person = signed_in(request)
    networks = sorted({str(s["network_id"]) for s in stories})
    found = await asyncio.gather(*(_names(portal, n, person.token if person else None)
                                   for n in networks))
    return {key: value for names in found for key, value in names.items()}


@router.get("/stories", response_class=HTMLResponse)
async def published(request: Request, portal: State, page: int = 1) -> HTMLResponse:
    """The region's published stories, newest first, with the organisations' answers."""
    page = max(1, min(page, 10_000))
    listed = await portal.backend.get("feedback", "/v1/stories", limit=PER_PAGE,
                                      offset=(page - 1) * PER_PAGE)
    found = await asyncio.gather(*(_published(portal, str(item["story_id"]))
                                   for item in listed["items"]))
    stories = [s for s in found if s is not None]
    return render(request, "stories/published.html", stories=stories,
                  organisations=await _named_in(portal, request, stories),
                  total=listed["total"], page=page,
                  more=page * PER_PAGE < int(listed["total"]))


@router.get("/stories/{story_id}", response_class=HTMLResponse)
async def one(request: Request, story_id: str, portal: State) -> HTMLResponse:
    """One published story and the answers of the organisations it names."""
    story = await _published(portal, _story_id(story_id))
    if story is None:
        raise HTTPException(404)
    return render(request, "stories/story.html", story=story,
                  organisations=await _named_in(portal, request, [story]))
