"""A participant's expenses (with a mileage calculator) and the payments they have had."""

import asyncio
from typing import Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from portal import claims, words
from portal.backend import ServiceRefused
from portal.forms import FieldError, Form
from portal.pages.participant import organisations
from portal.session import SignedIn, flash
from portal.web import Participant, Portal, Posted, State, go, render

router = APIRouter()

KINDS = [
    ("mileage", "Mileage", "Driving your own car. Tell us the miles: we work out the amount."),
    ("public_transport", "Bus, train or taxi fares", ""),
    ("parking", "Parking", ""),
    ("carer_or_childcare_cover", "Carer or childcare cover",
     "Someone to look after the person you care for, or your children, while you took part."),
    ("meals", "Meals", ""),
    ("other", "Something else", "You need a receipt reference for this."),
]

EXPENSE_STATUS = {"claimed": "Waiting for the organisation to check it",
                  "approved": "Approved, waiting to be paid", "rejected": "Not approved",
                  "paid": "Paid", "advanced": "Paid before the session"}
PAYMENT_OUTCOME = {"paid": "Paid to you",
                   "reduced": "Paid at the smaller amount you asked for",
                   "declined": "Not paid, as you asked",
                   "donated": "Given to charity, as you asked"}
CLAIMED_AS = {value: label for value, label, _ in KINDS}


def duration(minutes: object) -> str:
    """Minutes as people say them: 2 hours 30 minutes."""
    if not isinstance(minutes, int):
        return ""
    hours, rest = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    parts += [f"{rest} minute{'s' if rest != 1 else ''}"] if rest or not hours else []
    return " ".join(parts)


async def involvement(portal: Portal, person: SignedIn) -> dict[str, Any]:
    record: dict[str, Any] = await portal.backend.get(
        "opportunities", f"/v1/participants/{person.participant_id}/involvement", person.token)
    return record


async def titles(portal: Portal, person: SignedIn, opportunity_ids: set[str]) -> dict[str, str]:
    """Each opportunity's title, to say what a session or an expense was for."""
    async def title(opportunity_id: str) -> str:
        try:
            found = await portal.backend.get("opportunities",
                                             f"/v1/opportunities/{opportunity_id}", person.token)
        except ServiceRefused:
            return "An opportunity that has since closed"
        return str(found["title"])

    ids = sorted(opportunity_ids)
    return dict(zip(ids, await asyncio.gather(*(title(i) for i in ids)), strict=True))


def _newest_first(rows: list[dict[str, Any]], when: str) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda row: str(row[when]), reverse=True)


@router.get("/my/expenses", response_class=HTMLResponse)
async def expenses(request: Request, person: Participant, portal: State) -> HTMLResponse:
    """The sessions the person took part in (each with a way to claim), their expenses and
    the payments for their time, across every organisation."""
    record, named = await asyncio.gather(involvement(portal, person),
                                         organisations(portal, person))
    rows = record["sessions"] + record["expenses"] + record["payments"]
    named_titles = await titles(portal, person, {str(r["opportunity_id"]) for r in rows})
    return render(request, "expenses.html", titles=named_titles, organisations=named,
                  sessions=_newest_first(record["sessions"], "starts_at"),
                  expenses=_newest_first(record["expenses"], "claimed_at"),
                  payments=_newest_first(record["payments"], "made_at"),
                  totals=record["totals"], duration=duration, expense_status=EXPENSE_STATUS,
                  outcome=PAYMENT_OUTCOME, claimed_as=CLAIMED_AS)


async def _attended(portal: Portal, person: SignedIn, opportunity_id: str,
                    session_id: str) -> dict[str, Any]:
    """The session the claim is for, as the person's record has it, with its title."""
    record = await involvement(portal, person)
    session = next((s for s in record["sessions"] if str(s["opportunity_id"]) == opportunity_id
                    and str(s["session_id"]) == session_id), None)
    if session is None:
        raise HTTPException(404)
    named = await titles(portal, person, {opportunity_id})
    return {**session, "title": named[opportunity_id]}


def _ids(opportunity_id: str, session_id: str) -> tuple[str, str]:
    try:
        return str(UUID(opportunity_id)), str(UUID(session_id))
    except ValueError:
        raise HTTPException(404) from None


def _claim_page(request: Request, session: dict[str, Any], given: dict[str, str],
                errors: list[FieldError] | None = None, quote: dict[str, Any] | None = None,
                not_sent: bool = False) -> HTMLResponse:
    return render(request, "expense_claim.html", errors=errors, session=session, given=given,
                  kinds=KINDS, quote=quote, not_sent=not_sent)


@router.get("/my/expenses/new", response_class=HTMLResponse)
async def claim_form(request: Request, person: Participant, portal: State,
                     opportunity_id: str = "", session_id: str = "") -> HTMLResponse:
    opportunity_id, session_id = _ids(opportunity_id, session_id)
    session = await _attended(portal, person, opportunity_id, session_id)
    return _claim_page(request, session, {})


@router.post("/my/expenses/new", response_class=HTMLResponse)
async def claim(request: Request, person: Participant, portal: State, form: Posted) -> Response:
    """Work out the mileage (the form again, with the quote), or send the claim."""
    opportunity_id, session_id = _ids(form.one("opportunity_id"), form.one("session_id"))
    session = await _attended(portal, person, opportunity_id, session_id)
    given = {name: form.one(name) for name in (*claims.CLAIM_FIELDS, "return_journey")}
    body, errors = claims.claim(form, str(person.participant_id), opportunity_id, session_id)
    if form.one("action") == "calculate":
        if given["kind"] in ("", "mileage"):
            quote, errors = await _quote(portal, person, form)
            return _claim_page(request, session, given | {"kind": "mileage"}, errors, quote)
        # Enter pressed in another field: the form's first button. Check, never send.
        return _claim_page(request, session, given, errors, not_sent=not errors)
    if not errors:
        try:
            made = await portal.backend.post("opportunities", "/v1/expenses", person.token,
                                             json=body)
        except ServiceRefused as refused:
            if refused.status in (401, 403):
                raise
            errors = claims.claim_refused(refused.detail, refused.errors)
    if errors:
        return _claim_page(request, session, given, errors)
    what = f"{made['miles']} miles" if made.get("miles") else CLAIMED_AS[str(made["kind"])]
    flash(request, f"Your claim for {what.lower()} ({words.pounds(made['amount_pence'])}) has "
                   "been sent. The organisation will check it, then pay it.")
    return go("/my/expenses")


async def _quote(portal: Portal, person: SignedIn,
                 form: Form) -> tuple[dict[str, Any] | None, list[FieldError]]:
    """What the miles would pay, as the opportunities service prices a claim made now."""
    total, errors = claims.miles(form)
    if errors:
        return None, errors
    try:
        quote: dict[str, Any] = await portal.backend.get(
            "opportunities", f"/v1/participants/{person.participant_id}/mileage-quote",
            person.token, miles=total)
    except ServiceRefused as refused:
        if refused.status in (401, 403):
            raise
        return None, [FieldError("miles", f"This was not accepted: {refused.detail}")]
    return quote, []


@router.get("/my/expenses/mileage", response_class=HTMLResponse)
async def quote_fragment(request: Request, person: Participant, portal: State,
                         miles: str = "", return_journey: str = "") -> HTMLResponse:
    """The calculator's answer alone, for htmx to put in the form as the person types."""
    form = Form({"miles": [miles], "return_journey": [return_journey]})
    quote, errors = await _quote(portal, person, form) if miles.strip() else (None, [])
    return render(request, "expense_quote.html", quote=quote,
                  problem=errors[0].message if errors else None)
