"""What every page shares: the templates, the signed-in person, forms checked for forgery,
and the answers when something goes wrong."""

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from portal import words
from portal.backend import Backend, ServiceAway, ServiceRefused
from portal.forms import FieldError, Form
from portal.session import (
    CSRF_FIELD,
    SignedIn,
    csrf_matches,
    csrf_token,
    ended,
    flash,
    renewal_due,
    renewed,
    sign_out,
    signed_in,
    take_flash,
)
from portal.settings import PortalSettings

MAX_FORM_BYTES = 256 * 1024
TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Portal:
    """The app's state: its settings, the services' clients and the page templates."""

    settings: PortalSettings
    backend: Backend
    templates: Jinja2Templates


def make_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES)
    templates.env.filters.update(label=words.label, labels=words.labels, day=words.day,
                                 pounds=words.pounds, options=words.options,
                                 figure=words.figure, when=words.when)
    templates.env.globals["CSRF_FIELD"] = CSRF_FIELD
    return templates


def portal_of(request: Request) -> Portal:
    state: Portal = request.app.state.portal
    return state


class NeedsSignIn(Exception):
    """The page is for a signed-in participant (or staff): go and sign in first."""

    def __init__(self, staff: bool = False) -> None:
        self.staff = staff


class FormForged(Exception):
    """A form came without this session's anti-forgery token."""


async def current(request: Request) -> SignedIn | None:
    """The signed-in person, their session kept open while they use it: a token past
    RENEW_AFTER is swapped for a fresh one. A session that has ended (idle, too long, or
    the registry no longer renews it) is closed, saying why on the sign-in page."""
    now = time.time()
    if why := ended(request, now):
        flash(request, why)
        return None
    if renewal_due(request, now):
        person = signed_in(request)
        assert person is not None
        try:
            fresh = await portal_of(request).backend.post("registry", "/v1/auth/renew",
                                                          person.token)
        except ServiceRefused:
            sign_out(request)
            flash(request, "Your session has ended. Sign in again to carry on.")
            return None
        except ServiceAway:
            return person  # the token still works for a while: renew on a later page
        renewed(request, str(fresh["access_token"]))
    return signed_in(request)


async def participant(request: Request) -> SignedIn:
    person = await current(request)
    if person is None or not person.is_participant:
        raise NeedsSignIn()
    return person


async def staff(request: Request) -> SignedIn:
    person = await current(request)
    if person is None or not person.is_staff:
        raise NeedsSignIn(staff=True)
    return person


async def checked_form(request: Request) -> Form:
    """The submitted form, refused (403) unless it carries this session's token."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise HTTPException(413, "The form was too large to send")
    form = Form.parse(bytes(body))
    if not csrf_matches(request, form.one(CSRF_FIELD)):
        raise FormForged()
    return form


async def admin(request: Request) -> SignedIn:
    person = await current(request)
    if person is None or not person.is_admin:
        raise NeedsSignIn(staff=True)
    return person


Participant = Annotated[SignedIn, Depends(participant)]
Admin = Annotated[SignedIn, Depends(admin)]
Staff = Annotated[SignedIn, Depends(staff)]
Posted = Annotated[Form, Depends(checked_form)]
State = Annotated[Portal, Depends(portal_of)]


async def send_form(portal: Portal, service: str, path: str, token: str,
                    body: Any) -> tuple[Any, str | None]:
    """Post what a form asked for: the service's answer, or why it refused what the form
    says (any 4xx but 401, 403 and 404, which have pages of their own), to show on it."""
    try:
        return await portal.backend.post(service, path, token, json=body), None
    except ServiceRefused as refused:
        if refused.status in (401, 403, 404):
            raise
        return None, refused.detail


def render(request: Request, template: str, *, status: int = 200,
           errors: list[FieldError] | None = None, **context: Any) -> HTMLResponse:
    """A page, with what every page needs: who is signed in, the form token, a confirmation
    left by the last action, and the errors to put right (the title says so first)."""
    context |= {"user": signed_in(request), "csrf_token": csrf_token(request),
                "flash": take_flash(request), "errors": errors or [],
                "development": portal_of(request).settings.development}
    return portal_of(request).templates.TemplateResponse(
        request, template, context, status_code=400 if errors else status)


def go(path: str) -> Response:
    """After a form: see the result on its own page (post, redirect, get)."""
    return RedirectResponse(path, status_code=303)
