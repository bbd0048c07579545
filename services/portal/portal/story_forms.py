"""What moderators and staff type about stories, checked and turned into the feedback
service's request bodies. Pure, like `portal.forms`: each check returns the body and the
errors to show, in the order the fields appear on the page."""

from portal.forms import Checked, FieldError, Form

LONG_TEXT = 5000
"""The longest story text or answer the feedback service takes."""
MAX_REASON = 1000
DECISIONS = ("publish", "redact", "reject")


def moderation(form: Form, decision: str) -> Checked:
    """A moderator's decision on a story: publish it as scrubbed, publish their own version
    of the text (`redact`), or reject it with a reason the person who shared it reads."""
    errors: list[FieldError] = []
    body: dict[str, str | None] = {"decision": decision, "redacted_text": None, "reason": None}
    if decision not in DECISIONS:
        return body, [FieldError("decision", "Choose to publish the story, publish it with "
                                             "your changes, or not publish it")]
    if decision == "redact":
        text = form.one("redacted_text")
        if not text:
            errors.append(FieldError("redacted_text", "Enter the text to publish"))
        elif len(text) > LONG_TEXT:
            errors.append(FieldError("redacted_text", f"The text to publish must be "
                                                      f"{LONG_TEXT:,} characters or fewer"))
        body["redacted_text"] = text or None
    if decision == "reject":
        reason = form.one("reason")
        if not reason:
            errors.append(FieldError("reason", "Say why the story is not being published: "
                                               "we tell the person who shared it"))
        elif len(reason) > MAX_REASON:
            errors.append(FieldError("reason", f"The reason must be {MAX_REASON:,} characters "
                                               "or fewer"))
        body["reason"] = reason or None
    return body, errors


def answer(form: Form) -> Checked:
    """An organisation's public answer to a story that names it."""
    text = form.one("response")
    errors: list[FieldError] = []
    if not text:
        errors.append(FieldError("response", "Write your answer to the story"))
    elif len(text) > LONG_TEXT:
        errors.append(FieldError("response", f"Your answer must be {LONG_TEXT:,} characters "
                                             "or fewer"))
    return {"response": text}, errors


def for_story(errors: list[FieldError], story_id: str) -> list[FieldError]:
    """The errors on one story's fields, as the page names them (several stories share a
    page, so each field's id ends with its story's id)."""
    return [FieldError(f"{e.field}-{story_id}", e.message) for e in errors]
