"""No public event can carry personal data or free text (DESIGN.md, "Their data is theirs").

Walks the JSON Schema of every registered contract of every service, following
``$ref``s into nested models, and fails on:

- a property whose name says it holds personal data (a person's name, contact
  details, a full postcode, a date of birth, equality answers, free-text notes);
- a string long enough to hold prose (over 200 characters) that is not on the reviewed
  list of published text, which the feedback service scrubs before it publishes;
- a string with no bound (``maxLength``, ``pattern``, ``enum``/``const`` or a
  uuid/date-time/date ``format``), or a value of any type, or an object open to
  undeclared properties: each could carry free text onto the bus.
"""

import importlib
import pkgutil
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from pydantic import BaseModel, ConfigDict, Field, create_model

import chorus.contracts
from chorus.contracts import Contract, all_contracts
from chorus.contracts.catalogue import isolated_catalogue

# As in test_contracts: a contract module missing from the package's __init__ is checked too.
for _module in pkgutil.iter_modules(chorus.contracts.__path__, "chorus.contracts."):
    importlib.import_module(_module.name)

JSONSchema = dict[str, Any]

# fmt: off
PERSONAL_WORDS = frozenset(
    {
        # a person's name
        "name", "names", "forename", "forenames", "surname", "first_name", "last_name",
        "full_name", "given_name", "family_name", "initials",
        # contact details and where they live
        "email", "emails", "phone", "phones", "telephone", "tel", "mobile", "address",
        "addresses", "postcode", "postcodes", "zip", "street",
        # who they are
        "dob", "birth", "birthday", "date_of_birth", "age", "age_band", "nhs_number",
        "ethnicity", "ethnic", "disability", "disabilities", "gender", "sex", "religion",
        "sexual_orientation", "diagnosis", "medication",
        # free text
        "notes", "note", "comment", "comments", "story", "stories", "description",
        "free_text", "text", "narrative", "message", "details",
    }
)
# fmt: on
"""Words, or runs of words, that mark a property as personal when they occur in its name."""

ALLOWED_EVERYWHERE = frozenset({"postcode_district"})
"""Property names that contain a personal word but hold nothing personal."""

NAMES_OF_BODIES = {
    "chorus.registry.NetworkCreated.v1": {"$.name"},
    "chorus.registry.OrganisationJoined.v1": {"$.name"},
}
"""Properties that name a body (a network, an organisation), never a person.

Keyed by event type, so every new event or version that names something is
reviewed here before it can publish.
"""

SCRUBBED_PUBLIC_TEXT = {
    "chorus.feedback.ConsultationOpened.v1": {"$.purpose", "$.questions[].prompt"},
    "chorus.feedback.OutcomePublished.v1": {"$.you_said", "$.we_did"},
    "chorus.feedback.StoryModerated.v1": {"$.published_text"},
    "chorus.feedback.StoryResponded.v1": {"$.response"},
    "chorus.feedback.ChangeMade.v1": {"$.what_changed"},
    "chorus.feedback.LearningShared.v1": {"$.summary"},
}
"""Prose that is public by nature (an outcome, a published story, a change) and is scrubbed
of names, contact details, NHS numbers, postcodes and dates of birth before it is published.

Keyed by event type, so every new event or version that carries prose is reviewed here.
"""

PROSE_LENGTH = 200
"""A string that may be longer than this can carry prose: a title is fine, a letter is not."""

UNBOUNDED_FORMATS_ALLOWED = frozenset({"uuid", "date-time", "date"})
NO_BOUND = "a string with no maxLength, pattern, enum or format"


@dataclass(frozen=True)
class Node:
    """One schema inside a contract's schema, where it sits, and the property it is."""

    path: str
    schema: JSONSchema
    property_name: str | None = None


def nodes(root: JSONSchema) -> Iterator[Node]:
    """Every schema reachable from ``root``, ``$ref``s resolved, each recursive one once."""
    yield from _walk(root, root, Node("$", root), frozenset())


def _walk(root: JSONSchema, schema: JSONSchema, node: Node, seen: frozenset[str]) -> Iterator[Node]:
    if "$ref" in schema:
        if schema["$ref"] in seen:
            return  # a recursive model: this level was checked further up
        seen, schema = seen | {schema["$ref"]}, _resolved(root, schema)
    yield Node(node.path, schema, node.property_name)
    for child in _children(schema, node.path):
        yield from _walk(root, child.schema, child, seen)


def _resolved(root: JSONSchema, schema: JSONSchema) -> JSONSchema:
    target: Any = root
    for part in schema["$ref"].removeprefix("#/").split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    siblings = {key: value for key, value in schema.items() if key != "$ref"}
    return {**target, **siblings}  # pydantic puts a field's description beside its $ref


def _children(schema: JSONSchema, path: str) -> Iterator[Node]:
    for name, child in schema.get("properties", {}).items():
        yield Node(f"{path}.{name}", child, name)
    for keyword in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for child in schema.get(keyword, []):
            yield Node(path, child)
    for keyword, suffix in (("items", "[]"), ("additionalProperties", "{}"), ("not", "")):
        if isinstance(schema.get(keyword), dict):
            yield Node(path + suffix, schema[keyword])
    if isinstance(schema.get("propertyNames"), dict):
        yield Node(f"{path}{{keys}}", schema["propertyNames"])


def words_of(property_name: str) -> str:
    """``"_e_mail_address_"`` of ``"eMailAddress"`` or ``"e-mail address"``: words between ``_``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", property_name)
    words = re.split(r"[^a-z0-9]+", spaced.lower())
    joined = "_".join(word for word in words if word)
    return f"_{joined}_".replace("_e_mail_", "_email_")


def personal_properties(contract: type[Contract]) -> list[str]:
    """The properties of a contract whose names say they hold personal data."""
    allowed = (NAMES_OF_BODIES.get(contract.event_type(), set())
               | SCRUBBED_PUBLIC_TEXT.get(contract.event_type(), set()))
    return [
        f"{node.path}: the name '{node.property_name}' says it holds personal data"
        for node in nodes(contract.model_json_schema())
        if node.property_name is not None
        and node.path not in allowed
        and _sounds_personal(node.property_name, node.schema)
    ]


def _sounds_personal(property_name: str, schema: JSONSchema) -> bool:
    if property_name in ALLOWED_EVERYWHERE or _is_identifier(property_name, schema):
        return False
    words = words_of(property_name)
    return any(f"_{word}_" in words for word in PERSONAL_WORDS)


def _is_identifier(property_name: str, schema: JSONSchema) -> bool:
    # `story_id` refers to a story; the id itself says nothing about anyone.
    ends_in_id = words_of(property_name).endswith(("_id_", "_ids_"))
    return ends_in_id and _all_uuids(schema)


def _all_uuids(schema: JSONSchema) -> bool:
    if "anyOf" in schema:
        return all(_all_uuids(b) or b.get("type") == "null" for b in schema["anyOf"])
    if schema.get("type") == "array":
        return isinstance(schema.get("items"), dict) and _all_uuids(schema["items"])
    return schema.get("type") == "string" and schema.get("format") == "uuid"


def unbounded_values(contract: type[Contract]) -> list[str]:
    """Where a contract's schema would let free text through."""
    problems = []
    prose_allowed = SCRUBBED_PUBLIC_TEXT.get(contract.event_type(), set())
    for node in nodes(contract.model_json_schema()):
        if _is_prose(node.schema) and node.path not in prose_allowed:
            problems.append(f"{node.path}: long enough for prose, and not reviewed as "
                            "scrubbed public text")
        if _accepts_anything(node.schema):
            problems.append(f"{node.path}: accepts a value of any type")
        if _is_unbounded_string(node.schema):
            problems.append(f"{node.path}: {NO_BOUND}")
        if _is_open_object(node.schema):
            problems.append(f"{node.path}: an object that accepts undeclared properties")
    return problems


def _accepts_anything(schema: JSONSchema) -> bool:
    constraining = {"type", "enum", "const", "anyOf", "oneOf", "allOf"}
    return not constraining & schema.keys()


def _types(schema: JSONSchema) -> set[str]:
    declared = schema.get("type", [])
    return {declared} if isinstance(declared, str) else set(declared)


def _is_unbounded_string(schema: JSONSchema) -> bool:
    if "string" not in _types(schema):
        return False
    bounded = {"maxLength", "pattern", "enum", "const"} & schema.keys()
    return not bounded and schema.get("format") not in UNBOUNDED_FORMATS_ALLOWED


def _is_prose(schema: JSONSchema) -> bool:
    return "string" in _types(schema) and schema.get("maxLength", 0) > PROSE_LENGTH


def _is_open_object(schema: JSONSchema) -> bool:
    # An undeclared property's name is free text, whatever its value's schema says.
    if "object" not in _types(schema) or schema.get("additionalProperties") is False:
        return False
    names = schema.get("propertyNames")
    return not isinstance(names, dict) or _is_unbounded_string({"type": "string", **names})


PUBLISHED = all_contracts()


def test_the_published_language_is_checked() -> None:
    assert len(PUBLISHED) >= 10, "contracts were not all imported"


@pytest.mark.parametrize("contract", PUBLISHED, ids=lambda contract: contract.event_type())
def test_no_property_is_named_for_personal_data(contract: type[Contract]) -> None:
    assert personal_properties(contract) == []


@pytest.mark.parametrize("contract", PUBLISHED, ids=lambda contract: contract.event_type())
def test_no_value_is_free_text(contract: type[Contract]) -> None:
    assert unbounded_values(contract) == []


def test_the_allow_list_names_only_published_properties() -> None:
    published = {contract.event_type(): contract for contract in PUBLISHED}
    for event_type, paths in (NAMES_OF_BODIES | SCRUBBED_PUBLIC_TEXT).items():
        schema = published[event_type].model_json_schema()
        assert paths <= {node.path for node in nodes(schema)}, event_type


# Testing the test: throwaway contracts that break the rules are caught.


def test_an_email_field_on_any_registered_contract_is_caught() -> None:
    with isolated_catalogue():

        class MemberWelcomed(Contract, service="contracts_test", version=1):
            member_id: str = Field(pattern=r"^[0-9]+$")
            email: str = Field(max_length=254)

        problems = [problem for c in all_contracts() for problem in personal_properties(c)]

    assert problems == ["$.email: the name 'email' says it holds personal data"]


class _Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mobileNumber: str = Field(max_length=20)  # camelCase is caught too


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"e_mail": (str, Field(max_length=9))}, "$.e_mail: the name"),
        ({"home_address": (str, Field(max_length=9))}, "$.home_address: the name"),
        ({"postcode": (str, Field(max_length=9))}, "$.postcode: the name"),
        ({"date_of_birth": (str, Field(max_length=9))}, "$.date_of_birth: the name"),
        ({"age_band": (str, Field(max_length=9))}, "$.age_band: the name"),
        ({"free_text": (str, Field(max_length=9))}, "$.free_text: the name"),
        ({"patientNHSNumber": (str, Field(max_length=9))}, "$.patientNHSNumber: the name"),
        ({"name": (str, Field(max_length=9))}, "$.name: the name"),
        ({"contact": (_Contact, ...)}, "$.contact.mobileNumber: the name"),
    ],
    ids=["e_mail", "address", "postcode", "birth", "age", "free_text", "nhs", "name", "nested"],
)
@pytest.mark.usefixtures("scratch_catalogue")
def test_personal_names_are_caught_however_spelt_and_wherever_nested(
    fields: dict[str, Any], expected: str
) -> None:
    contract = _throwaway(fields)

    assert [problem[: len(expected)] for problem in personal_properties(contract)] == [expected]


@pytest.mark.usefixtures("scratch_catalogue")
def test_prose_not_reviewed_as_scrubbed_public_text_is_caught() -> None:
    contract = _throwaway({"experience": (str, Field(max_length=PROSE_LENGTH + 1)),
                           "headline": (str, Field(max_length=PROSE_LENGTH))})

    assert unbounded_values(contract) == [
        "$.experience: long enough for prose, and not reviewed as scrubbed public text"]


@pytest.mark.usefixtures("scratch_catalogue")
def test_names_that_only_look_personal_pass() -> None:
    contract = _throwaway(
        {
            "postcode_district": (str, Field(pattern=r"^[A-Z0-9]{2,4}$")),
            "story_id": (UUID, ...),
            "percentage": (int, ...),
        }
    )

    assert personal_properties(contract) == []


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (str, f"$.value: {NO_BOUND}"),
        (str | None, f"$.value: {NO_BOUND}"),
        (list[str], f"$.value[]: {NO_BOUND}"),
        (Any, "$.value: accepts a value of any type"),
        (dict[str, int], "$.value: an object that accepts undeclared properties"),
    ],
    ids=["str", "optional", "list", "any", "dict"],
)
@pytest.mark.usefixtures("scratch_catalogue")
def test_unbounded_values_are_caught(annotation: Any, expected: str) -> None:
    contract = _throwaway({"value": (annotation, ...)})

    assert unbounded_values(contract) == [expected]


@pytest.fixture
def scratch_catalogue() -> Iterator[None]:
    """Contracts a test declares are forgotten after it."""
    with isolated_catalogue():
        yield


def _throwaway(fields: dict[str, Any]) -> type[Contract]:
    keywords = {"service": "contracts_test", "version": 1}
    model: type[Contract] = create_model(
        "ThrowawayHappened", __base__=Contract, __cls_kwargs__=keywords, **fields
    )
    return model
