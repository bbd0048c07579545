"""The participant vocabulary, the registry's public participant events, and its API fields."""

import ast
import json
import sys
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pydantic
import pytest
from pydantic import TypeAdapter

from chorus.contracts import parse_event, vocabulary
from chorus.contracts.registry import (
    ConsentChanged,
    OrganisationLeft,
    ParticipantErased,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantPaused,
    ParticipantResumed,
    ProfileUpdated,
)
from chorus.contracts.vocabulary import (
    AccessibilityNeed,
    ConsentScope,
    ContactChannel,
    InvolvementKind,
    Method,
    ParticipantStatus,
    PaymentPreference,
    Topic,
)
from registry.fields import (
    Email,
    Notes,
    OdsCode,
    PersonName,
    Postcode,
    PostcodeDistrict,
    ShortText,
    UkPhone,
    postcode_district,
)

NOW = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)
VOCABULARY = [
    value
    for value in vars(vocabulary).values()
    if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum
]
PARTICIPANT_EVENTS = [
    OrganisationLeft,
    ParticipantJoined,
    ProfileUpdated,
    ConsentChanged,
    ParticipantPaused,
    ParticipantResumed,
    ParticipantLeft,
    ParticipantErased,
]


def error_of(type_: Any, value: Any) -> tuple[str, str]:
    """The type and message of the one error validating ``value`` as ``type_``."""
    with pytest.raises(pydantic.ValidationError) as raised:
        TypeAdapter(type_).validate_python(value)
    (error,) = raised.value.errors()
    return error["type"], error["msg"]


# The vocabulary.


@pytest.mark.parametrize("enum", VOCABULARY, ids=lambda enum: enum.__name__)
def test_every_word_is_snake_case_and_spelt_like_its_member(enum: type[StrEnum]) -> None:
    assert len(enum.__members__) == len(enum), "two members share a value"
    for member in enum:
        assert member.value == member.name.lower()
        assert member.value.replace("_", "").isalnum() and member.value.islower()


@pytest.mark.parametrize("enum", VOCABULARY, ids=lambda enum: enum.__name__)
def test_every_word_list_says_what_it_is_for(enum: type[StrEnum]) -> None:
    assert enum.__doc__ and enum.__doc__ != StrEnum.__doc__


def test_the_vocabulary_has_the_choices_the_issue_names() -> None:
    assert {*PaymentPreference} == {"accept", "reduce", "decline", "donate", "expenses_only"}
    assert {*ContactChannel} == {"email", "phone", "post", "sms"}
    assert {*ConsentScope} == {"network", "organisations"}
    assert {*ParticipantStatus} == {"active", "paused", "left", "erased"}
    assert {*Method} == {"speaking", "writing", "online", "in_person", "phone", "paper"}
    assert len(InvolvementKind) == 12
    assert AccessibilityNeed.OTHER in AccessibilityNeed


def test_topics_are_a_controlled_list_broad_enough_for_a_region() -> None:
    assert 25 <= len(Topic) <= 35
    assert {"mental_health", "dementia", "carers", "health_inequalities", "other"} <= {*Topic}


def test_the_vocabulary_uses_only_the_standard_library() -> None:
    tree = ast.parse(Path(vocabulary.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}

    assert imported and all(str(name).split(".")[0] in sys.stdlib_module_names for name in imported)


# The registry's participant events.


def profile(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "participant_id": uuid4(),
        "network_id": uuid4(),
        "roles": ["carer"],
        "topics": ["dementia", "carers"],
        "methods": ["online", "speaking"],
        "kinds_wanted": ["focus_group", "co_design"],
        "commitment": "occasional",
        "availability": [{"day": "tuesday", "part": "evening"}],
        "postcode_district": "LS6",
        "travel_radius_km": 10,
        "accessibility_needs": ["hearing_loop", "other"],
        "languages": ["en", "pl"],
        "support_wanted": ["buddy"],
        "payment_preference": "expenses_only",
        "updated_at": NOW,
    }
    return fields | changes


def consent(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "participant_id": uuid4(),
        "network_id": uuid4(),
        "scope": "network",
        "contact_channels": ["email"],
        "equality_monitoring": False,
        "changed_at": NOW,
    }
    return fields | changes


def test_a_profile_round_trips_through_json() -> None:
    event = ProfileUpdated(**profile())

    wire = json.loads(event.model_dump_json())

    assert parse_event(ProfileUpdated.event_type(), wire) == event
    assert wire["availability"] == [{"day": "tuesday", "part": "evening"}]


def test_repeats_in_a_list_are_dropped_keeping_the_first() -> None:
    slot = {"day": "monday", "part": "morning"}
    event = ProfileUpdated(
        **profile(topics=["cancer", "dementia", "cancer"], availability=[slot, slot])
    )

    assert event.topics == (Topic.CANCER, Topic.DEMENTIA)
    assert len(event.availability) == 1


@pytest.mark.parametrize("district", ["LS6", "SW1A", "M1", "B33", "EC1A", "CR0", "GIR"])
def test_a_profile_carries_a_postcode_district(district: str) -> None:
    assert ProfileUpdated(**profile(postcode_district=district)).postcode_district == district


@pytest.mark.parametrize(
    "changes",
    [
        {"postcode_district": "LS6 2AB"},  # a full postcode is personal
        {"postcode_district": "ls6"},
        {"postcode_district": "Q1"},
        {"travel_radius_km": 501},
        {"travel_radius_km": -1},
        {"online_only": True, "travel_radius_km": 5},
        {"languages": ["EN"]},
        {"languages": ["eng"]},
        {"accessibility_needs": ["needs a wheelchair space near the door"]},
        {"roles": []},
        {"topics": ["my own diagnosis"]},
        {"full_name": "A Person"},
    ],
    ids=str,
)
def test_a_profile_refuses_what_is_not_a_matching_fact(changes: dict[str, Any]) -> None:
    with pytest.raises(pydantic.ValidationError):
        ProfileUpdated(**profile(**changes))


def test_online_only_needs_no_travel() -> None:
    event = ProfileUpdated(**profile(online_only=True, travel_radius_km=None))

    assert event.online_only and event.travel_radius_km is None


def test_an_assisted_sign_up_names_the_organisation_that_helped() -> None:
    org = uuid4()
    base = {
        "participant_id": uuid4(),
        "network_id": uuid4(),
        "roles": ["patient"],
        "joined_at": NOW,
    }

    assert ParticipantJoined(**base, joined_via="assisted", assisted_by_org_id=org)
    assert ParticipantJoined(**base, joined_via="self").assisted_by_org_id is None
    with pytest.raises(pydantic.ValidationError, match="exactly when joined_via"):
        ParticipantJoined(**base, joined_via="assisted")
    with pytest.raises(pydantic.ValidationError, match="exactly when joined_via"):
        ParticipantJoined(**base, joined_via="self", assisted_by_org_id=org)


def test_consent_names_organisations_exactly_when_its_scope_is_organisations() -> None:
    orgs = [uuid4(), uuid4()]

    assert ConsentChanged(**consent(scope="organisations", organisation_ids=orgs))
    with pytest.raises(pydantic.ValidationError, match="organisation_ids are needed"):
        ConsentChanged(**consent(scope="organisations"))
    with pytest.raises(pydantic.ValidationError, match="organisation_ids are needed"):
        ConsentChanged(**consent(scope="network", organisation_ids=orgs))


def test_the_deprivation_decile_travels_only_with_equality_monitoring() -> None:
    assert ConsentChanged(**consent(equality_monitoring=True, deprivation_decile=1))
    with pytest.raises(pydantic.ValidationError, match="only with equality_monitoring"):
        ConsentChanged(**consent(deprivation_decile=3))
    for decile in (0, 11):
        with pytest.raises(pydantic.ValidationError):
            ConsentChanged(**consent(equality_monitoring=True, deprivation_decile=decile))


def test_a_pause_may_have_an_end_date_or_none() -> None:
    ids = {"participant_id": uuid4(), "network_id": uuid4(), "paused_at": NOW}

    assert ParticipantPaused(**ids, until=date(2025, 9, 1)).until == date(2025, 9, 1)
    assert ParticipantPaused(**ids).until is None


@pytest.mark.parametrize("contract", PARTICIPANT_EVENTS, ids=lambda c: c.__name__)
def test_every_list_in_a_registry_event_is_bounded(contract: type[pydantic.BaseModel]) -> None:
    for name, spec in contract.model_json_schema()["properties"].items():
        if spec.get("type") == "array":
            assert "maxItems" in spec and spec.get("uniqueItems"), name


@pytest.mark.parametrize("contract", PARTICIPANT_EVENTS, ids=lambda c: c.__name__)
def test_every_registry_field_is_described(contract: type[pydantic.BaseModel]) -> None:
    assert all(field.description for field in contract.model_fields.values())


# The registry's API fields.


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Ada Lovelace ", "Ada Lovelace"),
        ("Siobhán Ó Briain", "Siobhán Ó Briain"),
        ("Nguyễn Thị Minh", "Nguyễn Thị Minh"),
        ("A", "A"),
        ("x" * 100, "x" * 100),
    ],
)
def test_a_person_name_is_trimmed(value: str, expected: str) -> None:
    assert TypeAdapter(PersonName).validate_python(value) == expected


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("   ", ("string_too_short", "a name must not be empty")),
        ("x" * 101, ("string_too_long", "a name must be at most 100 characters")),
        ("Ada\nLovelace", ("control_characters", "a name must not contain control characters")),
        ("Ada\x00", ("control_characters", "a name must not contain control characters")),
        ("Ada\u2028Lovelace", ("control_characters", "a name must not contain control characters")),
    ],
    ids=["blank", "long", "newline", "nul", "line-separator"],
)
def test_a_person_name_refuses(value: str, error: tuple[str, str]) -> None:
    assert error_of(PersonName, value) == error


def test_a_person_name_must_be_text() -> None:
    assert error_of(PersonName, 42)[0] == "string_type"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("jo.bloggs@nhs.net", "jo.bloggs@nhs.net"),
        (" Jo.Bloggs@NHS.Net ", "Jo.Bloggs@nhs.net"),
        ("patient+chorus@example.org", "patient+chorus@example.org"),
    ],
)
def test_an_email_address_has_its_domain_in_lower_case(value: str, expected: str) -> None:
    assert TypeAdapter(Email).validate_python(value) == expected


@pytest.mark.parametrize(
    "value", ["jo.bloggs", "jo@", "@nhs.net", "jo bloggs@nhs.net", "jo@nhs", "jo@@nhs.net", ""]
)
def test_an_email_address_refuses(value: str) -> None:
    error_type, message = error_of(Email, value)

    assert error_type == "email"
    assert message.startswith("not a valid e-mail address: ")


def test_an_email_address_is_not_looked_up(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("validation tried to reach the network")

    monkeypatch.setattr("socket.getaddrinfo", no_network)
    monkeypatch.setattr("socket.socket.connect", no_network)

    assert TypeAdapter(Email).validate_python("a@no-such-domain-for-chorus.org")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0113 496 0000", "+441134960000"),
        ("020 7946 0000", "+442079460000"),
        ("07400 123456", "+447400123456"),
        ("+44 7400 123456", "+447400123456"),
        ("(0113) 4960000", "+441134960000"),
        ("01534 123456", "+441534123456"),  # Jersey shares the UK's +44
    ],
)
def test_a_uk_phone_number_is_stored_in_e164_form(value: str, expected: str) -> None:
    assert TypeAdapter(UkPhone).validate_python(value) == expected


@pytest.mark.parametrize(
    "value", ["12345", "0113 496", "+33 1 23 45 67 89", "not a number", "", "07400 1234567"]
)
def test_a_uk_phone_number_refuses(value: str) -> None:
    assert error_of(UkPhone, value) == ("uk_phone_number", "not a UK phone number")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("LS6 2AB", "LS6 2AB"),
        ("ls62ab", "LS6 2AB"),
        ("  sw1a   1aa ", "SW1A 1AA"),
        ("M1 1AE", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("W1A 0AX", "W1A 0AX"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("gir 0aa", "GIR 0AA"),
    ],
)
def test_a_postcode_is_normalised(value: str, expected: str) -> None:
    assert TypeAdapter(Postcode).validate_python(value) == expected


@pytest.mark.parametrize(
    "value",
    ["LS6", "LS6 2A", "LS6 2ABC", "QS6 2AB", "LS6 2CB", "LS6 AAB", "GIR 1AA", "", "12345"],
)
def test_a_postcode_refuses(value: str) -> None:
    assert error_of(Postcode, value) == ("uk_postcode", "not a UK postcode")


@pytest.mark.parametrize(
    ("postcode", "district"),
    [("ls6 2ab", "LS6"), ("SW1A 1AA", "SW1A"), ("M1 1AE", "M1"), ("GIR 0AA", "GIR")],
)
def test_the_district_of_a_postcode_is_what_a_profile_publishes(
    postcode: str, district: str
) -> None:
    assert postcode_district(postcode) == district
    assert ProfileUpdated(**profile(postcode_district=district)).postcode_district == district
    assert TypeAdapter(PostcodeDistrict).validate_python(district) == district


def test_the_district_of_something_else_is_an_error() -> None:
    with pytest.raises(ValueError, match="not a UK postcode"):
        postcode_district("LS6")


@pytest.mark.parametrize(("value", "expected"), [(" ls6 ", "LS6"), ("sw1a", "SW1A")])
def test_a_postcode_district_is_normalised(value: str, expected: str) -> None:
    assert TypeAdapter(PostcodeDistrict).validate_python(value) == expected


@pytest.mark.parametrize("value", ["LS6 2AB", "LS", "6LS", "", "LS666"])
def test_a_postcode_district_refuses(value: str) -> None:
    error_type, message = error_of(PostcodeDistrict, value)

    assert error_type == "uk_postcode_district"
    assert message.startswith("not a UK postcode district")


@pytest.mark.parametrize(
    ("value", "expected"), [("RR8", "RR8"), (" rhq ", "RHQ"), ("B86012", "B86012")]
)
def test_an_ods_code_is_in_capitals(value: str, expected: str) -> None:
    assert TypeAdapter(OdsCode).validate_python(value) == expected


@pytest.mark.parametrize("value", ["R8", "R-8X", "ABCDEFGHIJK", ""])
def test_an_ods_code_refuses(value: str) -> None:
    assert error_of(OdsCode, value) == ("ods_code", "not an ODS code (3 to 10 letters and digits)")


def test_short_text_is_one_trimmed_line_of_at_most_200_characters() -> None:
    short_text = TypeAdapter(ShortText)

    assert short_text.validate_python("  Chair, PPG  ") == "Chair, PPG"
    assert error_of(ShortText, "x" * 201) == (
        "string_too_long",
        "text must be at most 200 characters",
    )
    assert error_of(ShortText, "two\nlines")[0] == "control_characters"


def test_notes_keep_their_line_breaks_up_to_2000_characters() -> None:
    notes = TypeAdapter(Notes)

    assert notes.validate_python("Prefers mornings.\r\nNeeds a ramp.\n") == (
        "Prefers mornings.\nNeeds a ramp."
    )
    assert notes.validate_python("x" * 2000) == "x" * 2000
    assert error_of(Notes, "x" * 2001) == (
        "string_too_long",
        "notes must be at most 2000 characters",
    )
    assert error_of(Notes, "bell\x07")[0] == "control_characters"


def test_the_fields_document_themselves_in_openapi() -> None:
    class Person(pydantic.BaseModel):
        name: PersonName
        email: Email
        phone: UkPhone
        postcode: Postcode
        ods_code: OdsCode

    properties = Person.model_json_schema()["properties"]

    assert properties["name"]["maxLength"] == 100
    assert properties["email"]["format"] == "email"
    assert properties["ods_code"]["pattern"] == "^[A-Z0-9]{3,10}$"
    assert all(spec["type"] == "string" for spec in properties.values())


def test_validated_ids_are_uuids() -> None:
    assert isinstance(
        ParticipantErased(participant_id=uuid4(), network_id=uuid4(), erased_at=NOW).participant_id,
        UUID,
    )
