"""Signing in and out: participants with a one-time code sent to their e-mail address, staff
with their organisation's API key, network administrators with the administrator's key."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from portal import forms
from portal.backend import ServiceRefused
from portal.forms import FieldError
from portal.session import claims_of, flash, sign_in, sign_out
from portal.web import Posted, State, go, render

router = APIRouter()


@router.get("/sign-in", response_class=HTMLResponse)
async def ask_for_email(request: Request) -> HTMLResponse:
    return render(request, "sign_in.html", email="")


@router.post("/sign-in", response_class=HTMLResponse)
async def send_code(request: Request, form: Posted, portal: State) -> Response:
    email, errors = forms.email_address(form)
    if errors:
        return render(request, "sign_in.html", errors=errors, email=form.one("email"))
    await portal.backend.post("registry", "/v1/auth/participant-code", json={"email": email})
    request.session["signing_in"] = email
    return go("/sign-in/code")


@router.get("/sign-in/code", response_class=HTMLResponse)
async def ask_for_code(request: Request) -> Response:
    email = request.session.get("signing_in")
    if not isinstance(email, str):
        return go("/sign-in")
    return render(request, "sign_in_code.html", email=email)


@router.post("/sign-in/code", response_class=HTMLResponse)
async def check_code(request: Request, form: Posted, portal: State) -> Response:
    email = request.session.get("signing_in")
    if not isinstance(email, str):
        return go("/sign-in")
    code, errors = forms.sign_in_code(form)
    if not errors:
        try:
            token = await portal.backend.post("registry", "/v1/auth/participant-token",
                                              json={"email": email, "code": code})
        except ServiceRefused:
            errors = [FieldError("code", "That code is not right, or it has expired. Check "
                                         "the code, or ask for a new one")]
    if errors:
        return render(request, "sign_in_code.html", errors=errors, email=email)
    sign_in(request, token["access_token"], email)
    return go("/my")


@router.post("/sign-out")
async def leave_session(request: Request, _: Posted) -> Response:
    sign_out(request)
    flash(request, "You have signed out.")
    return go("/")


@router.get("/staff/sign-in", response_class=HTMLResponse)
async def ask_for_key(request: Request) -> HTMLResponse:
    return render(request, "staff_sign_in.html")


@router.post("/staff/sign-in", response_class=HTMLResponse)
async def check_key(request: Request, form: Posted, portal: State) -> Response:
    key = form.one("api_key")
    errors = [] if key else [FieldError("api_key", "Enter your organisation's key")]
    token: dict[str, str] = {}
    if key:
        try:
            token = await portal.backend.post("registry", "/v1/auth/token",
                                              json={"api_key": key})
        except ServiceRefused:
            errors = [FieldError("api_key", "That key is not right, or it has been revoked")]
    claims = claims_of(token["access_token"]) if token else {}
    if token and claims.get("role") not in ("org_staff", "network_admin"):
        errors = [FieldError("api_key", "Use a key of an organisation in the network, or "
                                        "the network administrator's key")]
    if errors:
        return render(request, "staff_sign_in.html", errors=errors)
    if claims.get("role") == "network_admin":
        sign_in(request, token["access_token"], "Network administrator")
        return go("/admin")
    name = await _organisation_name(portal, token["access_token"], claims)
    sign_in(request, token["access_token"], name)
    return go("/staff")


async def _organisation_name(portal: State, token: str, claims: dict[str, str]) -> str:
    members = await portal.backend.get(
        "registry", f"/v1/networks/{claims.get('network_id')}/organisations", token)
    return next((str(m["name"]) for m in members
                 if str(m["organisation_id"]) == claims.get("org_id")), "Your organisation")
