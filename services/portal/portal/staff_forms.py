"""What staff type after a session, about expenses and when they share learning, checked and
turned into the services' request bodies. Pure, like `portal.forms`: each check returns the
body and the errors to show, in the order the fields appear on the page."""

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from portal.forms import Checked, FieldError, Form

LONDON = ZoneInfo("Europe/London")
CLOCK = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")
TAG = re.compile(r"^[a-z0-9][a-z0-9 '-]{0,39}$")
MAX_TAGS = 20
MAX_REASON = 500
MAX_HOURS = 24


def session_held(form: Form, people: Mapping[int, str], now: datetime) -> Checked:
    """A session that took place: its day and times (UK time), and for each person with a
    place (`people`: their number on the page and their id) whether they attended and for
    how long. Hours left blank mean the whole session."""
    errors: list[FieldError] = []
    day = _day(form, errors)
    starts = _time(form, "starts", "Enter the time the session started, like 10:00", errors)
    ends = _time(form, "ends", "Enter the time the session ended, like 13:30", errors)
    starts_at = ends_at = None
    if day and starts and ends:
        starts_at = datetime.combine(day, starts, LONDON)
        ends_at = datetime.combine(day, ends, LONDON)
        if ends_at <= starts_at:
            errors.append(FieldError("ends", "The end time must be after the start time"))
        elif ends_at > now:
            errors.append(FieldError("ends", "You can record a session only once it has "
                                             "ended"))
    length = (ends_at - starts_at) if starts_at and ends_at and ends_at > starts_at else None
    attendance = [entry for number, pid in people.items()
                  if (entry := _attended(form, number, pid, length, errors)) is not None]
    body = {"starts_at": starts_at.astimezone(UTC).isoformat() if starts_at else None,
            "ends_at": ends_at.astimezone(UTC).isoformat() if ends_at else None,
            "attendance": attendance}
    return body, errors


def _day(form: Form, errors: list[FieldError]) -> date | None:
    text = form.one("day")
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors.append(FieldError("day", "Enter the day of the session, like 2026-03-31"))
        return None


def _time(form: Form, name: str, message: str, errors: list[FieldError]) -> time | None:
    found = CLOCK.match(form.one(name))
    if not found:
        errors.append(FieldError(name, message))
        return None
    return time(int(found.group(1)), int(found.group(2)))


def _attended(form: Form, number: int, participant_id: str, length: timedelta | None,
              errors: list[FieldError]) -> dict[str, object] | None:
    if form.one(f"attended-{number}") != "yes":
        return None
    name, text = f"hours-{number}", form.one(f"hours-{number}")
    if not text:
        if length is None:
            return None
        return {"participant_id": participant_id,
                "hours": max(0.25, int(length.total_seconds() // 900) / 4)}
    hours = _quarter_hours(text)
    if hours is None:
        errors.append(FieldError(name, f"Enter the hours Person {number} took part in quarter "
                                       "hours, like 2 or 2.75"))
        return None
    if length is not None and hours * 3600 > length.total_seconds():
        errors.append(FieldError(name, f"Person {number} cannot have taken part for longer "
                                       "than the session"))
        return None
    return {"participant_id": participant_id, "hours": hours}


def _quarter_hours(text: str) -> float | None:
    try:
        hours = Decimal(text)
    except InvalidOperation:
        return None
    if not hours.is_finite() or not 0 < hours <= MAX_HOURS or (hours * 4) % 1:
        return None
    return float(hours)


def payment(form: Form) -> Checked:
    """Pay for one person's time at one session; for someone who asked to be paid less, the
    amount they asked for (in pounds, left blank otherwise)."""
    text = form.one("reduced_to").removeprefix("£").replace(",", "")
    body: dict[str, object] = {"session_id": form.one("session_id"),
                               "participant_id": form.one("participant_id")}
    if not text:
        return body, []
    pence = _pence(text)
    if pence is None:
        return body, [FieldError("reduced_to", "Enter the smaller amount they asked for in "
                                               "pounds, like 12.50, or leave it blank")]
    return body | {"reduced_to_pence": pence}, []


def _pence(text: str) -> int | None:
    try:
        pounds = Decimal(text)
    except InvalidOperation:
        return None
    if not pounds.is_finite() or pounds < 0 or pounds > 10_000 or (pounds * 100) % 1:
        return None
    return int(pounds * 100)


def rejection(form: Form) -> Checked:
    """Why a claim is refused: the person reads it."""
    reason = form.one("reason")
    if not reason:
        return {}, [FieldError("reason", "Say why you are rejecting the claim")]
    if len(reason) > MAX_REASON:
        return {}, [FieldError("reason", f"The reason must be {MAX_REASON} characters or "
                                         "fewer")]
    return {"reason": reason}, []


def learning(form: Form, changes: Iterable[str], consultations: Iterable[str]) -> Checked:
    """Learning to share with the whole network, with the changes and consultations it draws
    on (only the organisation's own may be chosen)."""
    errors = [FieldError(name, message) for name, message in (
        ("title", "Enter a title"), ("summary", "Say what you learnt")) if not form.one(name)]
    tags = list(dict.fromkeys(t.strip().lower() for t in form.one("tags").split(",")
                              if t.strip()))
    if len(tags) > MAX_TAGS or not all(TAG.match(t) for t in tags):
        errors.append(FieldError("tags", f"Give at most {MAX_TAGS} tags, separated by commas; "
                                         "each up to 40 letters, numbers, spaces or hyphens"))
    known_changes, known_consultations = set(changes), set(consultations)
    return {"title": form.one("title"), "summary": form.one("summary"), "tags": tags,
            "change_ids": [c for c in dict.fromkeys(form.many("change_ids"))
                           if c in known_changes],
            "consultation_ids": [c for c in dict.fromkeys(form.many("consultation_ids"))
                                 if c in known_consultations]}, errors
