"""An expense claim and notification preferences as people fill them in, checked and turned
into the services' request bodies. Pure: no request, no I/O; each check returns the body and
the errors to show, in the order the fields appear on the page.

What mileage pays is never worked out here: the opportunities service quotes it, so the page
shows exactly what the claim will be given."""

import re
from collections.abc import Mapping, Sequence
from typing import Any

from chorus.contracts.vocabulary import ExpenseKind, Frequency
from portal.forms import Checked, FieldError, Form

CLAIM_FIELDS = ("kind", "miles", "amount", "receipt_reference")
PREFERENCE_FIELDS = ("frequency", "quiet_from", "quiet_to")

MOST_MILES = 1_000  # in one claim, as the opportunities service accepts
MOST_PENCE = 100_000  # £1,000 in one claim, as the opportunities service accepts
MOST_RECEIPT = 100
MONEY = re.compile(r"^£?(\d{1,7})(?:\.(\d{1,2}))?$")
CLOCK = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")

SERVICE_CLAIM_FIELDS = {"kind": "kind", "miles": "miles", "amount_pence": "amount",
                        "receipt_reference": "receipt_reference"}
NOT_ACCEPTED = {
    "kind": "Choose what you are claiming for from the options shown",
    "miles": "Check the miles: they could not be accepted",
    "amount": "Check the amount: it could not be accepted",
    "receipt_reference": "Use only letters, numbers, spaces and common punctuation in the "
                         "receipt reference",
}


def miles(form: Form) -> tuple[int | None, list[FieldError]]:
    """The miles to claim: one way, doubled for a return journey."""
    text = form.one("miles").replace(",", "")
    if not text:
        return None, [FieldError("miles", "Enter how many miles you drove, one way")]
    if not text.isdigit() or int(text) == 0:
        return None, [FieldError("miles", "Enter the miles as a whole number, like 17")]
    total = int(text) * (2 if form.one("return_journey") == "yes" else 1)
    if total > MOST_MILES:
        return None, [FieldError("miles", f"One claim can be for up to {MOST_MILES:,} miles. "
                                          "Enter fewer miles, or ask the organisation")]
    return total, []


def pence(text: str) -> int | None:
    """An amount in pounds as people write it (12.50, £12.5, 12) in pence; None if it is
    not one."""
    found = MONEY.match(text.replace(",", "").replace(" ", ""))
    if found is None:
        return None
    pounds, fraction = found.groups()
    return int(pounds) * 100 + int((fraction or "0").ljust(2, "0"))


def claim(form: Form, participant_id: str, opportunity_id: str, session_id: str) -> Checked:
    """A claim for one session the person attended: miles for mileage, otherwise an amount."""
    errors: list[FieldError] = []
    body: dict[str, Any] = {"participant_id": participant_id, "opportunity_id": opportunity_id,
                            "session_id": session_id}
    kind = form.one("kind")
    if kind not in {member.value for member in ExpenseKind}:
        errors.append(FieldError("kind", "Choose what you are claiming for"))
        return body, errors
    body["kind"] = kind
    if kind == ExpenseKind.MILEAGE:
        body["miles"], errors = miles(form)
        return body, errors
    body["amount_pence"] = _amount(form, errors)
    reference = form.one("receipt_reference")
    if kind == ExpenseKind.OTHER and not reference:
        errors.append(FieldError("receipt_reference", "Enter the receipt reference: other "
                                                      "expenses need one"))
    elif len(reference) > MOST_RECEIPT:
        errors.append(FieldError("receipt_reference", f"The receipt reference must be "
                                                      f"{MOST_RECEIPT} characters or fewer"))
    body["receipt_reference"] = reference or None
    return body, errors


def _amount(form: Form, errors: list[FieldError]) -> int | None:
    text = form.one("amount")
    if not text:
        errors.append(FieldError("amount", "Enter how much you spent, like 12.50"))
        return None
    amount = pence(text)
    if amount is None:
        errors.append(FieldError("amount", "Enter the amount in pounds and pence, like 12.50"))
    elif amount == 0:
        errors.append(FieldError("amount", "Enter an amount more than £0"))
    elif amount > MOST_PENCE:
        errors.append(FieldError("amount", f"One claim can be for up to £{MOST_PENCE // 100:,}. "
                                           "For more, ask the organisation"))
    else:
        return amount
    return None


def claim_refused(detail: str, errors: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    """The opportunities service's refusal of a claim, on the form's own fields."""
    fields = dict.fromkeys(_claim_field(str(e.get("location", ""))) for e in errors)
    if fields:
        return [FieldError(field, NOT_ACCEPTED[field]) for field in fields]
    if "did not attend" in detail:
        return [FieldError("kind", "You are not recorded as taking part in this session, so "
                                   "you cannot claim for it. Ask the organisation to check "
                                   "who came")]
    return [FieldError(_claim_field(detail), f"Your claim was not accepted: {detail}")]


def _claim_field(where: str) -> str:
    for name, field in SERVICE_CLAIM_FIELDS.items():
        if name in where:
            return field
    return "kind"


def preferences(form: Form) -> Checked:
    """How often to be told, and the quiet hours (both times, or neither). E-mail is the one
    channel offered so far."""
    errors: list[FieldError] = []
    frequency = form.one("frequency")
    if frequency not in {member.value for member in Frequency}:
        errors.append(FieldError("frequency", "Choose how often we tell you things"))
        frequency = Frequency.IMMEDIATE.value
    start, end = (_clock(form, name, errors) for name in ("quiet_from", "quiet_to"))
    given = {"quiet_from": form.one("quiet_from"), "quiet_to": form.one("quiet_to")}
    if given["quiet_from"] and not given["quiet_to"]:
        errors.append(FieldError("quiet_to", "Enter when your quiet hours end, like 07:00"))
    if given["quiet_to"] and not given["quiet_from"]:
        errors.append(FieldError("quiet_from", "Enter when your quiet hours begin, like 21:30"))
    if start and start == end:
        errors.append(FieldError("quiet_to", "Your quiet hours must end at a different time "
                                             "from when they begin"))
    quiet = {"start": start, "end": end} if start and end and start != end else None
    errors.sort(key=lambda error: PREFERENCE_FIELDS.index(error.field))
    return {"channel": "email", "frequency": frequency, "quiet_hours": quiet}, errors


def _clock(form: Form, name: str, errors: list[FieldError]) -> str | None:
    text = form.one(name).replace(" ", "")
    if not text:
        return None
    found = CLOCK.match(text)
    if found is None:
        errors.append(FieldError(name, "Enter a time on the 24-hour clock, like 21:30"))
        return None
    return f"{int(found.group(1)):02d}:{found.group(2)}"


def preferences_refused(detail: str, errors: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    """The notifications service's refusal of preferences, on the form's own fields."""
    found = []
    for error in errors or [{"location": detail, "message": detail}]:
        where = str(error.get("location", ""))
        field = ("quiet_to" if "end" in where else "quiet_from" if "quiet" in where
                 else "frequency")
        found.append(FieldError(field, f"This was not accepted: {error.get('message')}"))
    return found
