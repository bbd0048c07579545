"""Scrubbing free text of personal data before it is shown beyond moderators or published.

Each kind of personal data has one small finder that returns the spans to replace; `scrub`
runs them in a fixed order over the text, replacing what each found with a placeholder
before the next one looks. The order matters: e-mail addresses go first (they hold names and
digits), a valid NHS number is taken before the phone finder could call it a phone number,
and names go last so that nothing already replaced is mistaken for one. Placeholders are
lower case or bracketed so that no finder matches them: scrubbing twice changes nothing.

This is a safety net, not a guarantee: moderators still read stories before they are
published. It leans towards removing too much over leaving a name in.
"""

import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

import phonenumbers

from feedback.text.given_names import GIVEN_NAMES

Span = tuple[int, int]


class Kind(StrEnum):
    NAME = "name"
    EMAIL = "email"
    PHONE = "phone"
    NHS_NUMBER = "nhs_number"
    POSTCODE = "postcode"
    DATE_OF_BIRTH = "date_of_birth"


PLACEHOLDERS: dict[Kind, str] = {
    Kind.NAME: "[name]",
    Kind.EMAIL: "[email]",
    Kind.PHONE: "[phone number]",
    Kind.NHS_NUMBER: "[NHS number]",
    Kind.POSTCODE: "[postcode]",
    Kind.DATE_OF_BIRTH: "[date of birth]",
}


@dataclass(frozen=True)
class Scrubbed:
    text: str
    found: Mapping[Kind, int]  # how many of each kind were replaced; kinds not found are absent


def scrub(text: str) -> Scrubbed:
    """The text with each piece of personal data found replaced by its kind's placeholder."""
    found: Counter[Kind] = Counter()
    for kind, finder in _FINDERS:
        spans = list(finder(text))
        text = _replace(text, spans, PLACEHOLDERS[kind])
        found[kind] += len(spans)
    return Scrubbed(text, MappingProxyType({kind: n for kind, n in found.items() if n}))


def is_valid_nhs_number(digits: str) -> bool:
    """Ten digits whose last is the modulus 11 check digit of the first nine."""
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return False
    total = sum(int(d) * weight for d, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 10:  # no number is issued whose check digit would be 10
        return False
    return check % 11 == int(digits[9])


def _replace(text: str, spans: list[Span], placeholder: str) -> str:
    parts, last = [], 0
    for start, end in sorted(spans):
        parts += [text[last:start], placeholder]
        last = end
    return "".join([*parts, text[last:]])


# E-mail addresses

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")


def _emails(text: str) -> Iterator[Span]:
    return (m.span() for m in _EMAIL.finditer(text))


# NHS numbers: 3-3-4 digits with one consistent separator, not part of a longer number

_TEN_DIGITS = re.compile(r"(?<![\d+])(\d{3})([ -]?)(\d{3})\2(\d{4})(?!\d)")


def _nhs_numbers(text: str) -> Iterator[Span]:
    return (m.span() for m in _TEN_DIGITS.finditer(text)
            if is_valid_nhs_number(m[1] + m[3] + m[4]))


# Dates of birth: a date a few words after a cue; the cue stays so the sentence still reads

_MONTH = (r"(?:(?:january|february|march|april|may|june|july|august|september|october"
          r"|november|december)\b|(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\b"
          r"(?:\.(?=\s*\d))?)")
_DAY = r"\d{1,2}(?:st|nd|rd|th)?(?!\d)"
_NUMERIC_DATE = r"\d{4}-\d{1,2}-\d{1,2}\b|\d{1,2}(?P<sep>[/.-])\d{1,2}(?P=sep)(?:\d{4}|\d{2})(?!\d)"
_DATE = (rf"(?:{_NUMERIC_DATE}"
         rf"|{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}}\b)?"
         rf"|{_MONTH}\s+{_DAY}(?:,?\s+\d{{4}}\b)?"
         rf"|{_MONTH}\s+\d{{4}}\b)")
_BIRTH_CUE = r"(?<![^\W\d_])(?:born(?:\s+on)?|d\.?o\.?b\b\.?|date\s+of\s+birth|birth\s*day)"
_FEW_WORDS = r"[\s:,\-\u2013]*(?:[^\W\d_]+['\u2019]?[^\W\d_]*[\s,:\-\u2013]+){0,5}?"
_DATE_OF_BIRTH = re.compile(rf"{_BIRTH_CUE}{_FEW_WORDS}(?P<date>{_DATE})", re.IGNORECASE)


def _dates_of_birth(text: str) -> Iterator[Span]:
    return (m.span("date") for m in _DATE_OF_BIRTH.finditer(text))


# Phone numbers, as libphonenumber finds them in text read as British

_ANY_NUMERIC_DATE = re.compile(rf"\b(?:{_NUMERIC_DATE})")
_LENIENCY = phonenumbers.Leniency.POSSIBLE


def _phone_numbers(text: str) -> Iterator[Span]:
    # libphonenumber gives up on a whole run of digits and punctuation when part of it looks
    # like a date ("call 0113 496 0000 after 12/03/2024"), and finds only the last of two
    # numbers written side by side, so it reads a copy with dates and found numbers blanked
    # out, until it finds no more.
    searched = _ANY_NUMERIC_DATE.sub(lambda m: "_" * len(m[0]), text)
    while found := [(m.start, m.end) for m in _phone_matches(searched)]:
        yield from found
        for span in found:
            searched = _blank(span, searched)


def _phone_matches(text: str) -> Iterator[phonenumbers.PhoneNumberMatch]:
    matches = phonenumbers.PhoneNumberMatcher(text, "GB", leniency=_LENIENCY)
    return (m for m in matches if _written_as_a_phone_number(m.raw_string))


def _blank(span: Span, text: str) -> str:
    start, end = span
    return text[:start] + "_" * (end - start) + text[end:]


def _written_as_a_phone_number(raw: str) -> bool:
    # Lenient matching catches the fictional and newly issued ranges people really write
    # (07700 900123) but also any run of digits; people write UK numbers with a leading 0 or
    # +44, and every such number has at least ten digits, which leaves out reference numbers.
    digits = sum(c.isdigit() for c in raw)
    return raw.lstrip("(").startswith(("0", "+")) and digits >= 10


# Full postcodes; a district alone ("LS6") says where, not who, and stays

_POSTCODE = re.compile(
    r"\b[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?\s?\d[ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE)


def _postcodes(text: str) -> Iterator[Span]:
    return (m.span() for m in _POSTCODE.finditer(text))


# Names: a capitalised word after a title or a cue, or a common given name, with a surname

_TITLE = (r"(?i:mrs|mr|ms|mx|dr|doctor|prof|professor|nurse|sister|matron|rev|sir|dame)\b\.?"
          r"|Miss\b\.?")  # "miss" in lower case is mostly the verb
_RELATIVE = (r"husband|wife|son|daughter|mum|mom|mother|dad|father|partner|carer|brother"
             r"|sister|grandson|granddaughter|nan|gran|grandad|friend|neighbour")
# "called" after a pronoun is mostly the verb to phone ("I called Boots"), not naming.
_CUE = (rf"name\s+(?:is|was)|name['\u2019]s|I['\u2019]m|I\s+am|known\s+as"
        rf"|(?<!\bI )(?<!\bwe )(?<!\bthey )(?<!\bhe )(?<!\bshe )(?<!\byou )(?:called|named)"
        rf"|my\s+(?:late\s+)?(?:{_RELATIVE}),?")
_A_TITLE = re.compile(_TITLE)
_ROLE = r"Practitioner|Consultant|Specialist|Registrar|Manager"  # "Nurse Practitioner Jo Bloggs"
_AFTER_TITLE = re.compile(rf"\b(?:{_TITLE})(?:\s+(?:{_ROLE}))?\s+\Z")
_AFTER_CUE = re.compile(rf"\b(?i:{_CUE})\s+\Z")
_AFTER_SAINT = re.compile(r"\b(?:St|Saint)\b\.?\s+\Z")
_LOOK_BACK = 40
_LONGEST_RUN = 6  # words, enough for "Sir Robert Ogden Macmillan Centre"

# A word starting with a capital ("O'Brien-Jones", "McDonald", "Łukasz"); a possessive "'s"
# is left outside it. The regex admits any letters; `_name_like` checks the rest.
_CAPITALISED = re.compile(r"\b[A-ZÀ-ÖØ-Þ\u0100-\u017f][^\W\d_]*(?:['\u2019-](?!s\b)[^\W\d_]+)*")

# Capitalised words that are not people: who someone is, rather than their name, and the
# words that end the names of places and organisations ("Leeds General Infirmary").
_NOT_NAMES = frozenset({
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "English", "British", "Scottish", "Welsh", "Irish", "Polish", "Romanian", "Pakistani",
    "Indian", "Bangladeshi", "Somali", "Nigerian", "Ghanaian", "Chinese", "Jamaican",
    "Caribbean", "African", "Asian", "Black", "White", "European", "Urdu", "Punjabi",
    "Muslim", "Christian", "Catholic", "Jewish", "Sikh", "Hindu", "Deaf", "Autistic",
    "Practitioner", "Consultant", "Specialist", "Registrar", "Manager", "Receptionist",
    "St", "Saint",
})
_ORGANISATION_WORDS = frozenset({
    "Hospital", "Infirmary", "General", "Surgery", "Practice", "Centre", "Center", "Clinic",
    "Unit", "Trust", "Health", "Medical", "Hospice", "University", "College", "School",
    "Council", "Services", "Service", "Team", "Pharmacy", "Department", "Foundation",
    "Partnership", "Road", "Street", "Avenue", "Station", "Mosque", "Church", "Gurdwara",
})


def _names(text: str) -> Iterator[Span]:
    words = list(_CAPITALISED.finditer(text))
    i = 0
    while i < len(words):
        run = _run_from(text, words, i)
        if any(w[0] in _ORGANISATION_WORDS for w in run):
            i += len(run)  # a place or organisation named after someone is not that person
        elif _name_like(words[i][0]) and _is_a_name_here(text, words[i]):
            taken = 2 if len(run) > 1 and _name_like(run[1][0]) else 1
            yield words[i].start(), run[taken - 1].end()
            i += taken
        else:
            i += 1


def _run_from(text: str, words: list[re.Match[str]], i: int) -> list[re.Match[str]]:
    """The capitalised words from the i-th on that follow each other with only spaces between."""
    run = [words[i]]
    for word in words[i + 1:i + _LONGEST_RUN]:
        if text[run[-1].end():word.start()] not in (" ", "\u00a0"):
            break
        run.append(word)
    return run


def _name_like(word: str) -> bool:
    return (len(word) > 1 and word[0].isupper() and any(c.islower() for c in word)
            and word not in _NOT_NAMES and word not in _ORGANISATION_WORDS
            and not _A_TITLE.fullmatch(word))


def _is_a_name_here(text: str, word: re.Match[str]) -> bool:
    before = text[max(0, word.start() - _LOOK_BACK):word.start()]
    if _AFTER_TITLE.search(before) or _AFTER_CUE.search(before):
        return True
    return word[0].split("-")[0] in GIVEN_NAMES and not _AFTER_SAINT.search(before)


_FINDERS: tuple[tuple[Kind, Callable[[str], Iterator[Span]]], ...] = (
    (Kind.EMAIL, _emails),
    (Kind.NHS_NUMBER, _nhs_numbers),
    (Kind.DATE_OF_BIRTH, _dates_of_birth),
    (Kind.PHONE, _phone_numbers),
    (Kind.POSTCODE, _postcodes),
    (Kind.NAME, _names),
)
