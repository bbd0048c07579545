"""What people type into the portal's forms, checked and turned into the services' request
bodies. Pure: no request, no I/O; each check returns the body and the errors to show, in
the order the fields appear on the page."""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl

from chorus.contracts.vocabulary import (
    AccessibilityNeed,
    Audience,
    Commitment,
    ConsentScope,
    ContactChannel,
    InvolvementKind,
    Method,
    OpportunityKind,
    ParticipantRole,
    PaymentPreference,
    QuestionKind,
    Remuneration,
    Stage,
    SupportOffered,
    SupportWanted,
    Topic,
)

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")
CODE = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class FieldError:
    """One thing to put right: the field's id (the error summary links to it) and what to do."""

    field: str
    message: str


@dataclass
class Form:
    """A submitted form: every value of every field, as sent."""

    values: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, body: bytes) -> "Form":
        values: dict[str, list[str]] = {}
        for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            values.setdefault(name, []).append(value)
        return cls(values)

    def one(self, name: str) -> str:
        return (self.values.get(name) or [""])[0].strip()

    def many(self, name: str) -> list[str]:
        return [value for value in self.values.get(name, []) if value]


Checked = tuple[dict[str, Any], list[FieldError]]


def _choices(form: Form, name: str, vocabulary: type[StrEnum],
             errors: list[FieldError]) -> list[str]:
    chosen = form.many(name)
    allowed = {member.value for member in vocabulary}
    if any(value not in allowed for value in chosen):
        errors.append(FieldError(name, "Choose from the options shown"))
    return [value for value in chosen if value in allowed]


def _choice(form: Form, name: str, vocabulary: type[StrEnum],
            errors: list[FieldError], missing: str | None = None) -> str | None:
    value = form.one(name)
    if not value:
        if missing:
            errors.append(FieldError(name, missing))
        return None
    if value not in {member.value for member in vocabulary}:
        errors.append(FieldError(name, "Choose from the options shown"))
        return None
    return value


def _whole_number(form: Form, name: str, errors: list[FieldError], message: str,
                  low: int, high: int) -> int | None:
    text = form.one(name)
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        errors.append(FieldError(name, message))
        return None
    return int(text)


def email_address(form: Form) -> tuple[str, list[FieldError]]:
    address = form.one("email")
    if not address:
        return "", [FieldError("email", "Enter your email address")]
    if not EMAIL.match(address) or len(address) > 254:
        return "", [FieldError("email", "Enter an email address in the correct format, "
                                        "like name@example.com")]
    return address, []


def sign_in_code(form: Form) -> tuple[str, list[FieldError]]:
    code = form.one("code").replace(" ", "")
    if not code:
        return "", [FieldError("code", "Enter the 6-digit code we sent you")]
    if not CODE.match(code):
        return "", [FieldError("code", "The code must be 6 numbers, like 123456")]
    return code, []


PROFILE_FIELDS = ("methods", "kinds_wanted", "topics", "roles", "commitment",
                  "postcode_district", "travel_radius_km", "online_only", "accessibility_needs",
                  "support_wanted", "payment_preference")
"""The profile form's fields in the order the page shows them."""


def profile(form: Form, current: Mapping[str, Any]) -> Checked:
    """The whole involvement profile (the registry replaces it): what the form asks, and
    what it does not (availability, languages) kept as it was."""
    errors: list[FieldError] = []
    body: dict[str, Any] = {
        "roles": _choices(form, "roles", ParticipantRole, errors),
        "methods": _choices(form, "methods", Method, errors),
        "kinds_wanted": _choices(form, "kinds_wanted", InvolvementKind, errors),
        "topics": _choices(form, "topics", Topic, errors),
        "commitment": _choice(form, "commitment", Commitment, errors),
    }
    if not body["methods"]:
        errors.append(FieldError("methods", "Choose at least one way you would like to "
                                            "take part"))
    if not body["roles"]:
        errors.append(FieldError("roles", "Choose whether you take part as a patient, a "
                                          "carer, a lay partner or an advocate"))
    district = form.one("postcode_district").upper().replace(" ", "")
    if district and not DISTRICT.match(district):
        errors.append(FieldError("postcode_district", "Enter the first part of your "
                                                      "postcode, like LS6"))
    body["postcode_district"] = district or None
    body["travel_radius_km"] = _whole_number(
        form, "travel_radius_km", errors, "Enter how far you can travel as a whole number of "
        "kilometres, from 1 to 200", 1, 200)
    body["online_only"] = form.one("online_only") == "yes"
    body["accessibility_needs"] = _choices(form, "accessibility_needs", AccessibilityNeed,
                                           errors)
    body["support_wanted"] = _choices(form, "support_wanted", SupportWanted, errors)
    body["payment_preference"] = _choice(form, "payment_preference", PaymentPreference,
                                         errors) or "accept"
    errors.sort(key=lambda error: PROFILE_FIELDS.index(error.field))
    kept = {name: current[name] for name in ("availability", "languages")
            if name in current}
    if body["payment_preference"] == "reduce":
        kept["payment_reduced_to_pence"] = current.get("payment_reduced_to_pence")
    return kept | body, errors


def consent(form: Form, current: Mapping[str, Any], organisations: Iterable[str]) -> Checked:
    """Who may see the profile and how people may get in touch; equality monitoring answers
    are kept as they were, and dropped when the person stops taking part in it."""
    errors: list[FieldError] = []
    scope = _choice(form, "scope", ConsentScope, errors,
                    missing="Choose who can see your profile") or "network"
    known = set(organisations)
    chosen = [o for o in form.many("organisation_ids") if o in known]
    if scope == "organisations" and not chosen:
        errors.append(FieldError("organisation_ids", "Choose at least one organisation, or "
                                                     "let any organisation see your profile"))
    monitoring = form.one("equality_monitoring") == "yes"
    body: dict[str, Any] = {
        "scope": scope, "organisation_ids": chosen if scope == "organisations" else [],
        "contact_channels": _choices(form, "contact_channels", ContactChannel, errors),
        "equality_monitoring": monitoring,
    }
    for name in ("deprivation_decile", "age_band", "ethnicity", "disability"):
        body[name] = current.get(name) if monitoring else None
    return body, errors


def answers(form: Form, questions: Sequence[Mapping[str, Any]]) -> Checked:
    """A response to a consultation's questions, each answered as its kind asks."""
    errors: list[FieldError] = []
    given: list[dict[str, Any]] = []
    for question in questions:
        qid = str(question["question_id"])
        name = f"q-{qid}"
        answer = _answer(form, question, name, errors)
        if answer is None:
            if question.get("required"):
                errors.append(FieldError(name, f"Answer “{question['prompt']}”"))
            continue
        given.append({"question_id": qid, **answer})
    if not given and not errors:
        errors.append(FieldError(f"q-{questions[0]['question_id']}" if questions else "answers",
                                 "Answer at least one question"))
    return {"answers": given}, errors


def _answer(form: Form, question: Mapping[str, Any], name: str,
            errors: list[FieldError]) -> dict[str, Any] | None:
    kind = question.get("kind")
    options = [str(o) for o in question.get("options") or []]
    if kind == "free_text":
        text = form.one(name)
        return {"text": text} if text else None
    if kind == "rating":
        rating = _whole_number(form, name, errors, "Choose a rating from 1 to 5", 1, 5)
        return {"rating": rating} if rating is not None else None
    chosen = form.many(name) if kind == "multiple_choice" else form.many(name)[:1]
    if any(choice not in options for choice in chosen):
        errors.append(FieldError(name, "Choose from the options shown"))
        return None
    return {"choices": chosen} if chosen else None


def opportunity(form: Form, today: date) -> Checked:
    """An opportunity to publish: the facts people need to decide, and what matching uses."""
    errors: list[FieldError] = []
    title, description = form.one("title"), form.one("description")
    if not title:
        errors.append(FieldError("title", "Enter a title"))
    if not description:
        errors.append(FieldError("description", "Describe what people will do"))
    body: dict[str, Any] = {
        "title": title, "description": description,
        "kind": _choice(form, "kind", OpportunityKind, errors,
                        missing="Choose the kind of involvement"),
        "stage": _choice(form, "stage", Stage, errors,
                         missing="Choose the stage of the work"),
        "topics": _choices(form, "topics", Topic, errors),
        "methods": _choices(form, "methods", Method, errors),
    }
    if not body["methods"]:
        errors.append(FieldError("methods", "Choose at least one way people take part"))
    body["online"] = form.one("online") == "yes"
    district = form.one("postcode_district").upper().replace(" ", "")
    if not body["online"] and not DISTRICT.match(district):
        errors.append(FieldError("postcode_district", "Enter the first part of the venue's "
                                                      "postcode, like LS1"))
    body["postcode_district"] = district or None
    body["seats"] = _whole_number(form, "seats", errors, "Enter the number of places, from 1 "
                                  "to 500", 1, 500)
    if body["seats"] is None and not any(e.field == "seats" for e in errors):
        errors.append(FieldError("seats", "Enter the number of places"))
    body["commitment"] = _choice(form, "commitment", Commitment, errors,
                                 missing="Choose how often people take part")
    body["time_commitment"] = form.one("time_commitment") or "To be agreed"
    body["support_offered"] = _choices(form, "support_offered", SupportOffered, errors)
    body["remuneration"] = _choice(form, "remuneration", Remuneration, errors,
                                   missing="Choose whether people are paid") or "expenses_only"
    if body["remuneration"] == "paid":
        body["payment_basis"] = "sessional"
    body["accessibility_provided"] = _choices(form, "accessibility_provided",
                                              AccessibilityNeed, errors)
    body["closing_date"] = _closing_date(form, today, errors)
    body["sessions"] = []
    return body, errors


def _closing_date(form: Form, earliest: date, errors: list[FieldError],
                  name: str = "closing_date",
                  too_early: str = "The closing date must be today or later") -> str | None:
    text = form.one(name)
    try:
        closing = date.fromisoformat(text)
    except ValueError:
        errors.append(FieldError(name, "Enter the closing date, like 2026-03-31"))
        return None
    if closing < earliest:
        errors.append(FieldError(name, too_early))
    return closing.isoformat()


QUESTION_SLOTS = 3


def consultation(form: Form, today: date) -> Checked:
    """A consultation to open: what it is for, whom it asks, when it closes, and up to
    QUESTION_SLOTS questions (the first one is needed)."""
    errors: list[FieldError] = []
    for name, message in (("title", "Enter a title"),
                          ("purpose", "Say what the consultation is for")):
        if not form.one(name):
            errors.append(FieldError(name, message))
    body: dict[str, Any] = {
        "title": form.one("title"), "purpose": form.one("purpose"),
        "stage": _choice(form, "stage", Stage, errors, missing="Choose the stage of the work"),
        "audience": _choice(form, "audience", Audience, errors,
                            missing="Choose who you are asking"),
        "questions": [q for slot in range(1, QUESTION_SLOTS + 1)
                      if (q := _question(form, slot, errors)) is not None],
    }
    if not body["questions"] and not any(e.field.startswith("q1") for e in errors):
        errors.append(FieldError("q1_prompt", "Enter at least one question"))
    closes = _closing_date(form, today + timedelta(days=1), errors, "closes_on",
                           "The closing date must be after today")
    body["closes_at"] = f"{closes}T23:59:00+00:00" if closes else None
    return body, errors


def _question(form: Form, slot: int, errors: list[FieldError]) -> dict[str, Any] | None:
    prompt = form.one(f"q{slot}_prompt")
    if not prompt:
        return None
    kind = _choice(form, f"q{slot}_kind", QuestionKind, errors,
                   missing=f"Choose how question {slot} is answered") or "free_text"
    options = [line.strip() for line in form.one(f"q{slot}_options").splitlines()
               if line.strip()]
    if kind in ("single_choice", "multiple_choice") and len(options) < 2:
        errors.append(FieldError(f"q{slot}_options",
                                 f"Give at least 2 answers to choose from for question {slot}, "
                                 "one on each line"))
    return {"kind": kind, "prompt": prompt, "required": form.one(f"q{slot}_required") == "yes",
            "options": options if kind in ("single_choice", "multiple_choice") else []}


def story(form: Form, organisations: Iterable[str] = ()) -> Checked:
    """A story to share, naming any of the network's organisations it is about."""
    errors = [FieldError(name, message) for name, message in (
        ("title", "Give your story a title"), ("service_area", "Say which service it is about"),
        ("text", "Tell us what happened")) if not form.one(name)]
    known = set(organisations)
    return {"title": form.one("title"), "service_area": form.one("service_area"),
            "text": form.one("text"),
            "organisation_ids": [o for o in form.many("organisation_ids") if o in known]}, errors


def outcome(form: Form) -> Checked:
    errors = [FieldError(name, message) for name, message in (
        ("you_said", "Say what people told you"), ("we_did", "Say what you did about it"))
        if not form.one(name)]
    return {"you_said": form.one("you_said"), "we_did": form.one("we_did")}, errors


def change(form: Form, organisation_id: str, today: date, responses: Iterable[str],
           organisations: Iterable[str], stories: Iterable[str] = ()) -> Checked:
    """A change the organisation made, linked to the responses and stories that led to it
    (at least one of them) and made with any partner organisations."""
    errors: list[FieldError] = []
    for name, message in (("title", "Enter a title for the change"),
                          ("what_changed", "Say what changed"),
                          ("service_area", "Enter the service that changed"),
                          ("owner", "Enter who is responsible for the change")):
        if not form.one(name):
            errors.append(FieldError(name, message))
    known, partners = set(responses), set(organisations) - {organisation_id}
    feedback_ids = [f for f in form.many("feedback_ids") if f in known]
    story_ids = [s for s in form.many("story_ids") if s in set(stories)]
    if not feedback_ids and not story_ids:
        errors.append(FieldError("feedback_ids", "Choose the responses or stories that led to "
                                                 "the change") if known else
                      FieldError("story_ids", "Choose the stories that led to the change"))
    parts = [{"organisation_id": organisation_id, "owner": form.one("owner")}]
    parts += [{"organisation_id": o, "owner": form.one("owner")}
              for o in form.many("partners") if o in partners]
    consultation_id = form.one("consultation_id")
    return {"title": form.one("title"), "what_changed": form.one("what_changed"),
            "service_area": form.one("service_area"), "changed_on": today.isoformat(),
            "organisations": parts, "feedback_ids": feedback_ids, "story_ids": story_ids,
            "consultation_ids": [consultation_id] if consultation_id else []}, errors


def from_service(errors: Sequence[Mapping[str, Any]], fields: Iterable[str]) -> list[FieldError]:
    """A service's field errors (`body.profile.methods`) on the form's own fields."""
    names = list(fields)
    found: list[FieldError] = []
    for error in errors:
        location = str(error.get("location", "")).split(".")
        name = next((part for part in location if part in names), names[0] if names else "")
        found.append(FieldError(name, str(error.get("message", "Check this answer"))))
    return found
