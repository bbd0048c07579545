"""Validated values the registry's API accepts: names, contact details, postcodes, codes, text.

Each type trims and normalises what people type and refuses what it cannot use,
with a message that names what is wrong (e.g. "not a UK phone number") and an
error type a client can act on. Names, contact details and full postcodes are
personal data: they stay in the registry and never appear in a public contract.
"""

import re
import unicodedata
from typing import Annotated, Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from chorus.contracts.vocabulary import POSTCODE_DISTRICT_PATTERN

__all__ = [
    "Email",
    "Notes",
    "OdsCode",
    "PersonName",
    "Postcode",
    "PostcodeDistrict",
    "ShortText",
    "UkPhone",
    "postcode_district",
]

PERSON_NAME_MAX = 100
SHORT_TEXT_MAX = 200
NOTES_MAX = 2000
EMAIL_MAX = 254  # the longest address SMTP can deliver to (RFC 5321 with RFC 3696 erratum)

_DISTRICT = re.compile(POSTCODE_DISTRICT_PATTERN)
_INWARD = re.compile(r"[0-9][ABD-HJLNP-UW-Z]{2}")  # sector digit, then two unit letters
_ODS_CODE_PATTERN = r"^[A-Z0-9]{3,10}$"
_ODS_CODE = re.compile(_ODS_CODE_PATTERN)
_LINE_BREAKS = frozenset("\n\t")


def _string(**schema: Any) -> WithJsonSchema:
    # Validators below give the messages; this only documents the type in OpenAPI.
    return WithJsonSchema({"type": "string", **schema})


# Free text: names, short text and notes.


def _clean_text(value: str, *, what: str, max_length: int, line_breaks: bool = False) -> str:
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").strip())
    if not text:
        raise PydanticCustomError("string_too_short", "{what} must not be empty", {"what": what})
    if len(text) > max_length:
        raise PydanticCustomError(
            "string_too_long",
            "{what} must be at most {max_length} characters",
            {"what": what, "max_length": max_length},
        )
    allowed = _LINE_BREAKS if line_breaks else frozenset()
    if any(_is_control(character) for character in set(text) - allowed):
        raise PydanticCustomError(
            "control_characters", "{what} must not contain control characters", {"what": what}
        )
    return text


def _is_control(character: str) -> bool:
    # Cc: C0/C1 controls (tab, newline, escape...); Zl, Zp: the Unicode line and paragraph
    # separators. Format characters (Cf) stay: zero-width joiners are part of some scripts.
    return unicodedata.category(character) in {"Cc", "Zl", "Zp"}


def _person_name(value: str) -> str:
    return _clean_text(value, what="a name", max_length=PERSON_NAME_MAX)


def _short_text(value: str) -> str:
    return _clean_text(value, what="text", max_length=SHORT_TEXT_MAX)


def _notes(value: str) -> str:
    return _clean_text(value, what="notes", max_length=NOTES_MAX, line_breaks=True)


# Contact details.


def _email(value: str) -> str:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise PydanticCustomError(
            "email", "not a valid e-mail address: {reason}", {"reason": str(error)}
        ) from None


def _uk_phone(value: str) -> str:
    number = _parsed_phone_number(value)
    if number is None or number.country_code != 44 or not phonenumbers.is_valid_number(number):
        raise PydanticCustomError("uk_phone_number", "not a UK phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _parsed_phone_number(value: str) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        return None


# Postcodes and codes.


def _normalised_postcode(value: str) -> str | None:
    """``"LS6 2AB"`` from any spacing and case of a valid UK postcode, else None."""
    compact = "".join(value.split()).upper()
    outward, inward = compact[:-3], compact[-3:]
    if compact == "GIR0AA":  # Girobank's, the one postcode outside the pattern
        return "GIR 0AA"
    if outward != "GIR" and _DISTRICT.fullmatch(outward) and _INWARD.fullmatch(inward):
        return f"{outward} {inward}"
    return None


def _postcode(value: str) -> str:
    normalised = _normalised_postcode(value)
    if normalised is None:
        raise PydanticCustomError("uk_postcode", "not a UK postcode")
    return normalised


def postcode_district(postcode: str) -> str:
    """The district of a full UK postcode, ``"LS6"`` of ``"ls6 2ab"``: what may be published.

    Raises ValueError when ``postcode`` is not a UK postcode.
    """
    normalised = _normalised_postcode(postcode)
    if normalised is None:
        raise ValueError(f"not a UK postcode: {postcode!r}")
    return normalised.split(" ")[0]


def _postcode_district(value: str) -> str:
    district = value.strip().upper()
    if not _DISTRICT.fullmatch(district):
        raise PydanticCustomError(
            "uk_postcode_district", "not a UK postcode district (the first half, e.g. LS6)"
        )
    return district


def _ods_code(value: str) -> str:
    code = value.strip().upper()
    if not _ODS_CODE.fullmatch(code):
        raise PydanticCustomError("ods_code", "not an ODS code (3 to 10 letters and digits)")
    return code


PersonName = Annotated[
    str,
    AfterValidator(_person_name),
    _string(minLength=1, maxLength=PERSON_NAME_MAX, description="A person's name."),
]
"""A person's name as they give it: trimmed, 1 to 100 characters, no control characters."""

Email = Annotated[
    str,
    AfterValidator(_email),
    _string(format="email", maxLength=EMAIL_MAX, description="An e-mail address."),
]
"""An e-mail address, checked for form only (no DNS); the domain is normalised to lower case."""

UkPhone = Annotated[
    str,
    AfterValidator(_uk_phone),
    _string(
        minLength=1,
        maxLength=30,
        description="A UK phone number, e.g. '0113 496 0000'; stored as +441134960000.",
    ),
]
"""A valid UK phone number (+44, Crown dependencies included), stored in E.164 form."""

Postcode = Annotated[
    str,
    AfterValidator(_postcode),
    _string(
        minLength=5,
        maxLength=10,
        description="A full UK postcode, e.g. 'LS6 2AB'; case and spacing are normalised.",
    ),
]
"""A full UK postcode, normalised to capitals with one space: ``"LS6 2AB"``."""

PostcodeDistrict = Annotated[
    str,
    AfterValidator(_postcode_district),
    _string(maxLength=4, description="A UK postcode district, e.g. 'LS6' or 'SW1A'."),
]
"""The first half of a UK postcode, in capitals: ``"LS6"``, ``"SW1A"``."""

OdsCode = Annotated[
    str,
    AfterValidator(_ods_code),
    _string(
        pattern=_ODS_CODE_PATTERN,
        description="An NHS Organisation Data Service code, e.g. 'RR8'.",
    ),
]
"""An NHS Organisation Data Service code: 3 to 10 letters and digits, in capitals."""

ShortText = Annotated[
    str,
    AfterValidator(_short_text),
    _string(minLength=1, maxLength=SHORT_TEXT_MAX),
]
"""A short line of text: trimmed, 1 to 200 characters, no control characters."""

Notes = Annotated[
    str,
    AfterValidator(_notes),
    _string(minLength=1, maxLength=NOTES_MAX),
]
"""Free text of up to 2000 characters, trimmed; line breaks and tabs allowed."""
