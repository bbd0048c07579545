"""The platform's vocabulary in plain words, as people read it on a page."""

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

# Where the plain word is not just the value with spaces, it is spelt out here.
PLAIN = {
    "lay_partner": "Lay partner", "in_person": "In person", "phone": "By phone",
    "paper": "On paper", "online": "Online", "speaking": "Speaking",
    "writing": "Writing", "one_off": "Once", "occasional": "Now and then",
    "regular": "Regularly", "co_design": "Designing services with staff (co-design)",
    "survey": "Answering surveys and consultations", "board_or_committee": "A board or committee",
    "co_design_workshop": "Co-design workshop",
    "board_or_committee_seat": "Board or committee seat",
    "bsl_interpreter": "A British Sign Language interpreter", "easy_read": "Easy read documents",
    "large_print": "Large print", "hearing_loop": "A hearing loop",
    "step_free_access": "Step-free access", "carer_present": "My carer with me",
    "time_of_day": "Meetings at certain times of day",
    "expenses_up_front": "Expenses paid up front",
    "buddy": "A buddy to go with", "accept": "Yes, I would like to be paid",
    "reduce": "Pay me a smaller amount", "decline": "No, I do not want to be paid",
    "donate": "Give my payment to charity", "expenses_only": "Only my expenses",
    "sms": "Text message", "email": "Email", "post": "Post",
    "network": "Any organisation in the partnership",
    "organisations": "Only the organisations I choose", "nhs_trust": "NHS trust",
    "icb": "Integrated care board", "gp_practice": "GP practice",
    "heart_and_stroke": "Heart and stroke", "kidney_and_liver": "Kidney and liver",
    "maternity_and_neonatal": "Maternity and newborn care", "hiv": "HIV",
    "paid": "Paid", "not_yet_due": "Not yet due", "mens_health": "Men's health",
    "womens_health": "Women's health", "free_text": "Written answer",
    "single_choice": "Choose one",
    "reach_most_deprived": "Reach into the most deprived areas",
    "top_tenth_share": "Share of involvement held by the most involved tenth",
    "gini": "Unevenness of involvement (Gini coefficient)",
    "led_to_change": "Led to a change", "outcomes_published": "Outcomes published",
    "multiple_choice": "Choose any", "rating": "Rating from 1 to 5",
}


def label(value: object) -> str:
    """A value of the vocabulary as a person would say it."""
    text = str(value)
    return PLAIN.get(text) or text.replace("_", " ").capitalize()


def options(vocabulary: Iterable[object]) -> list[tuple[str, str]]:
    """(value, plain words) for every member of a vocabulary, for a form's choices."""
    return [(str(member), label(member)) for member in vocabulary]


def labels(values: object) -> str:
    if not isinstance(values, list | tuple) or not values:
        return "None given"
    return ", ".join(label(value) for value in values)


def day(value: object) -> str:
    """A date (or date-time) as 3 March 2026."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime | date):
        return f"{value.day} {value:%B %Y}"
    return ""


UK = ZoneInfo("Europe/London")


def _moment(value: object) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    return value.astimezone(UK) if isinstance(value, datetime) else None


def when(starts: object, ends: object = None) -> str:
    """A session's time in UK time, as 3 March 2026, 10:00 to 12:30: two sessions on one
    day are told apart (a screen reader names a button by it)."""
    start, end = _moment(starts), _moment(ends)
    if start is None:
        return day(starts)
    text = f"{start.day} {start:%B %Y}, {start:%H:%M}"
    return f"{text} to {end:%H:%M}" if end is not None else text


def pounds(pence: object) -> str:
    if not isinstance(pence, int):
        return ""
    return f"£{pence // 100:,}.{pence % 100:02d}"


UNITS = {"percent": "%", "days": " days", "people": " people", "coefficient": ""}


def figure(found: object) -> str:
    """An accountability figure as a person reads it: "75% (3 of 4)", "12 days", or why it
    is not shown."""
    if not isinstance(found, dict):
        return "Not measured"
    if found.get("withheld"):
        return "Withheld: too few people to show safely"
    value = found.get("value")
    if value is None:
        return "Nothing to measure yet"
    shown = f"{value:g}" if isinstance(value, float) else str(value)
    unit = str(found.get("unit", ""))
    text = f"{shown}{UNITS.get(unit, '')}"
    if unit == "days" and value == 1:
        text = f"{shown} day"
    if found.get("numerator") is not None and found.get("denominator") is not None:
        text += f" ({found['numerator']} of {found['denominator']})"
    return text
