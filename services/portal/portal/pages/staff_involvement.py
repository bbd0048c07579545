"""Pages for staff after a session: who came, payment for their time, their expenses to
approve and pay; and the learning the organisation publishes."""

import asyncio
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from portal import staff_forms
from portal.forms import FieldError
from portal.pages.expenses import CLAIMED_AS, duration
from portal.session import SignedIn, flash
from portal.web import Portal, Posted, Staff, State, go, render, send_form

router = APIRouter(prefix="/staff")

RATES = {"hourly": "by the hour", "half_day": "a half day", "full_day": "a full day"}
EXPENSE_GROUPS = (("claimed", "To approve"), ("approved", "To pay"), ("paid", "Paid"),
                  ("rejected", "Rejected"))


async def _opportunity(portal: Portal, person: SignedIn,
                       opportunity_id: str) -> tuple[dict[str, Any], dict[int, str]]:
    """The opportunity and the people with a place in it, numbered as on its page (by their
    invitation: staff see no names)."""
    path = f"/v1/opportunities/{opportunity_id}"
    found, invited = await asyncio.gather(
        portal.backend.get("opportunities", path, person.token),
        portal.backend.get("opportunities", f"{path}/invitations", person.token))
    places = {number: str(i["participant_id"]) for number, i in enumerate(invited, start=1)
              if i["status"] == "assigned"}
    return found, places


async def _numbers(portal: Portal, person: SignedIn, opportunity_id: str) -> dict[str, int]:
    invited = await portal.backend.get(
        "opportunities", f"/v1/opportunities/{opportunity_id}/invitations", person.token)
    return {str(i["participant_id"]): number for number, i in enumerate(invited, start=1)}


@router.get("/opportunities/{opportunity_id}/sessions/new", response_class=HTMLResponse)
async def new_session(request: Request, opportunity_id: str, person: Staff,
                      portal: State) -> HTMLResponse:
    found, places = await _opportunity(portal, person, opportunity_id)
    return render(request, "staff/new_session.html", opportunity=found, places=places,
                  given={})


@router.post("/opportunities/{opportunity_id}/sessions/new", response_class=HTMLResponse)
async def record_session(request: Request, opportunity_id: str, person: Staff, portal: State,
                         form: Posted) -> Response:
    found, places = await _opportunity(portal, person, opportunity_id)
    body, errors = staff_forms.session_held(form, places, datetime.now(UTC))
    if not errors:
        _, refused = await send_form(portal, "opportunities",
                                     f"/v1/opportunities/{opportunity_id}/sessions",
                                     person.token, body)
        if refused:
            errors = [FieldError("day", refused)]
    if errors:
        return render(request, "staff/new_session.html", errors=errors, opportunity=found,
                      places=places, given=form.values)
    came = len(body["attendance"])
    flash(request, f"The session is recorded: {came} "
                   f"{'person' if came == 1 else 'people'} attended.")
    return go(f"/staff/opportunities/{opportunity_id}/sessions")


@router.get("/opportunities/{opportunity_id}/sessions", response_class=HTMLResponse)
async def sessions(request: Request, opportunity_id: str, person: Staff,
                   portal: State) -> HTMLResponse:
    """The sessions held, who attended and for how long; for paid opportunities, paying
    each person for their time."""
    return await _sessions_page(request, opportunity_id, person, portal)


async def _sessions_page(request: Request, opportunity_id: str, person: SignedIn,
                         portal: Portal, errors: list[FieldError] | None = None,
                         given: dict[str, list[str]] | None = None) -> HTMLResponse:
    path = f"/v1/opportunities/{opportunity_id}"
    found, numbers, held = await asyncio.gather(
        portal.backend.get("opportunities", path, person.token),
        _numbers(portal, person, opportunity_id),
        portal.backend.get("opportunities", f"{path}/sessions", person.token))
    return render(request, "staff/sessions.html", errors=errors, opportunity=found,
                  held=held, numbers=numbers, given=given or {}, duration=duration,
                  paid=found.get("payment_basis") is not None)


@router.post("/opportunities/{opportunity_id}/payments", response_class=HTMLResponse)
async def pay_for_time(request: Request, opportunity_id: str, person: Staff, portal: State,
                       form: Posted) -> Response:
    body, errors = staff_forms.payment(form)
    numbers = await _numbers(portal, person, opportunity_id)
    number = numbers.get(str(body["participant_id"]), 0)
    field = f"amount-{body['session_id']}-{number}"
    if not errors:
        made, refused = await send_form(portal, "opportunities",
                                        f"/v1/opportunities/{opportunity_id}/payments",
                                        person.token, body)
        if refused:
            errors = [FieldError("reduced_to", _refusal_in_words(refused, f"Person {number}"))]
    if errors:
        return await _sessions_page(request, opportunity_id, person, portal,
                                    [FieldError(field, e.message) for e in errors],
                                    form.values)
    flash(request, payment_in_words(made, f"Person {number}"))
    return go(f"/staff/opportunities/{opportunity_id}/sessions")


def _refusal_in_words(detail: str, who: str) -> str:
    if "give reduced_to_pence" in detail:
        return f"{who} asked to be paid less: enter the amount they asked for"
    if "reduced_to_pence is only for" in detail:
        return f"{who} did not ask to be paid less: leave the amount blank"
    if "volunteers" in detail:
        return f"{who} volunteers: they are paid back their expenses, never for their time"
    return detail


def payment_in_words(made: dict[str, Any], who: str) -> str:
    """What the payment service did, as the person asked, in plain words."""
    due = _pounds(made["amount_due_pence"])
    paid = _pounds(made["amount_paid_pence"])
    rate = RATES.get(str(made["rate"]), "at your rate")
    outcome = made["outcome"]
    if outcome == "reduced":
        return f"{who} asked to be paid less than the {due} due: {paid} will be paid."
    if outcome == "declined":
        return f"{who} asked not to be paid for their time, so nothing is paid. Their " \
               "expenses are still theirs to claim."
    if outcome == "donated":
        return f"{who} asked for their payment to go to charity: {due} is given, and nothing " \
               "is paid to them."
    return f"{who} will be paid {paid} for their time ({rate})."


def _pounds(pence: int) -> str:
    return f"£{pence // 100:,}.{pence % 100:02d}"


@router.get("/expenses", response_class=HTMLResponse)
async def expenses(request: Request, person: Staff, portal: State) -> HTMLResponse:
    """The organisation's expenses: to approve, to pay, paid and rejected."""
    found, offered = await asyncio.gather(
        portal.backend.get("opportunities", "/v1/expenses", person.token,
                           organisation_id=person.org_id),
        portal.backend.get("opportunities", "/v1/opportunities", person.token,
                           organisation_id=person.org_id, open_only=False, limit=100))
    titles = {str(o["opportunity_id"]): o["title"] for o in offered["items"]}
    groups = [(heading, status, [e for e in found if e["status"] == status
                                 or (status == "paid" and e["status"] == "advanced")])
              for status, heading in EXPENSE_GROUPS]
    return render(request, "staff/expenses.html", groups=groups, titles=titles,
                  kinds=CLAIMED_AS)


@router.post("/expenses/{expense_id}/approve")
async def approve(request: Request, expense_id: str, person: Staff, portal: State,
                  _: Posted) -> Response:
    await portal.backend.post("opportunities", f"/v1/expenses/{expense_id}/approve",
                              person.token)
    flash(request, "The claim is approved. Pay it when you can: it is now under “To pay”.")
    return go("/staff/expenses")


@router.post("/expenses/{expense_id}/pay")
async def pay_expense(request: Request, expense_id: str, person: Staff, portal: State,
                      _: Posted) -> Response:
    await portal.backend.post("opportunities", f"/v1/expenses/{expense_id}/pay", person.token)
    flash(request, "The claim is marked as paid. The person can see it is paid.")
    return go("/staff/expenses")


@router.get("/expenses/{expense_id}/reject", response_class=HTMLResponse)
async def rejecting(request: Request, expense_id: str, person: Staff,
                    portal: State) -> HTMLResponse:
    found = await portal.backend.get("opportunities", f"/v1/expenses/{expense_id}",
                                     person.token)
    return render(request, "staff/reject_expense.html", expense=found, kinds=CLAIMED_AS,
                  given={})


@router.post("/expenses/{expense_id}/reject", response_class=HTMLResponse)
async def reject(request: Request, expense_id: str, person: Staff, portal: State,
                 form: Posted) -> Response:
    body, errors = staff_forms.rejection(form)
    if errors:
        found = await portal.backend.get("opportunities", f"/v1/expenses/{expense_id}",
                                         person.token)
        return render(request, "staff/reject_expense.html", errors=errors, expense=found,
                      kinds=CLAIMED_AS, given=form.values)
    await portal.backend.post("opportunities", f"/v1/expenses/{expense_id}/reject",
                              person.token, json=body)
    flash(request, "The claim is rejected. The person is told why.")
    return go("/staff/expenses")


async def _linkable(portal: Portal, person: SignedIn) -> tuple[list[Any], list[Any]]:
    """The organisation's changes and closed consultations, for learning to draw on."""
    changes, asked = await asyncio.gather(
        portal.backend.get("feedback", "/v1/changes", organisation_id=person.org_id,
                           limit=100),
        portal.backend.get("feedback", "/v1/consultations", person.token,
                           organisation_id=person.org_id, limit=50))
    return changes["items"], asked["items"]


@router.get("/learning/new", response_class=HTMLResponse)
async def new_learning(request: Request, person: Staff, portal: State) -> HTMLResponse:
    changes, consultations = await _linkable(portal, person)
    return render(request, "staff/new_learning.html", changes=changes,
                  consultations=consultations, given={})


@router.post("/learning/new", response_class=HTMLResponse)
async def publish_learning(request: Request, person: Staff, portal: State,
                           form: Posted) -> Response:
    changes, consultations = await _linkable(portal, person)
    body, errors = staff_forms.learning(
        form, [str(c["change_id"]) for c in changes],
        [str(c["consultation_id"]) for c in consultations])
    if not errors:
        _, refused = await send_form(portal, "feedback", "/v1/learning", person.token, body)
        if refused:
            errors = [FieldError("title", refused)]
    if errors:
        return render(request, "staff/new_learning.html", errors=errors, changes=changes,
                      consultations=consultations, given=form.values)
    flash(request, "Your learning is published. Everyone in the region can read it here.")
    return go("/learning")
