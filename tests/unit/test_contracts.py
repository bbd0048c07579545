"""The published language: contracts, their snapshots, the compatibility guard, upcasting."""

import importlib
import json
import pkgutil
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from uuid import uuid4

import pydantic
import pytest

import chorus.contracts
from chorus.contracts import (
    SERVICES,
    CatalogueError,
    Contract,
    UnknownEventType,
    all_contracts,
    check_compatibility,
    contract_for,
    dlq_topic,
    events_topic,
    missing_upcasters,
    parse_event,
    register_upcaster,
    source,
    upcast,
)
from chorus.contracts.catalogue import isolated_catalogue
from chorus.contracts.registry import NetworkCreated, OrganisationJoined
from chorus.contracts.snapshots import (
    SCHEMA_DIRECTORY,
    check_snapshots,
    export_snapshots,
    main,
    render,
    schema_of,
    snapshot_path,
)

# Import every module of the package, so that a contract module someone forgot to
# import from chorus/contracts/__init__.py is still guarded by the snapshot tests.
for _module in pkgutil.iter_modules(chorus.contracts.__path__, "chorus.contracts."):
    importlib.import_module(_module.name)

PUBLISHED = all_contracts()
EVENT_TYPE = re.compile(r"chorus\.[a-z][a-z0-9_]*\.[A-Z][A-Za-z0-9]*\.v[1-9][0-9]*")
TEST_SERVICE = "contracts_test"  # never a real service, so never a published type


@pytest.fixture
def scratch_catalogue() -> Iterator[None]:
    """Contracts and upcasters a test declares are forgotten after it."""
    with isolated_catalogue():
        yield


def published_snapshot(contract: type[Contract]) -> dict[str, Any]:
    path = snapshot_path(SCHEMA_DIRECTORY, contract.event_type())
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def derived(
    contract: type[Contract], *, without: str = "", **fields: Any
) -> type[pydantic.BaseModel]:
    """A look-alike of a contract with one field dropped or redefined; never registered."""
    definitions: dict[str, Any] = {
        name: (info.annotation, info)
        for name, info in contract.model_fields.items()
        if name != without
    }
    definitions.update(fields)
    # No service= or version=, so the look-alike stays out of the catalogue.
    return pydantic.create_model(contract.__name__, __base__=Contract, **definitions)


# 1. The snapshot test: the guard of the published language.


@pytest.mark.parametrize("contract", PUBLISHED, ids=lambda contract: contract.event_type())
def test_every_contract_is_compatible_with_its_published_snapshot(
    contract: type[Contract],
) -> None:
    path = snapshot_path(SCHEMA_DIRECTORY, contract.event_type())
    assert path.exists(), "no snapshot: run `python -m chorus.contracts.snapshots export`"

    breaking = check_compatibility(published_snapshot(contract), schema_of(contract))

    assert breaking == [], (
        f"{contract.event_type()} changed incompatibly: {breaking}. "
        "Publish a new version with an upcaster from this one instead."
    )


@pytest.mark.parametrize("contract", PUBLISHED, ids=lambda contract: contract.event_type())
def test_every_snapshot_is_up_to_date(contract: type[Contract]) -> None:
    # A compatible change that is not exported would become the baseline nobody
    # checks against: a later removal of the new field would then pass unnoticed.
    path = snapshot_path(SCHEMA_DIRECTORY, contract.event_type())

    assert path.read_text(encoding="utf-8") == render(schema_of(contract)), (
        "snapshot out of date: run `python -m chorus.contracts.snapshots export`"
    )


def test_the_committed_snapshots_pass_the_ci_check() -> None:
    assert check_snapshots() == []


# 2. Test the test: the guard catches each kind of breaking change.


@pytest.mark.parametrize(
    ("contract", "change", "reported"),
    [
        (OrganisationJoined, {"without": "ods_code"}, "$.ods_code: removed"),
        (OrganisationJoined, {"without": "kind"}, "$.kind: removed"),
        (
            OrganisationJoined,
            {"ods_code": (str | None, ...)},
            "$.ods_code: is now required",
        ),
        (
            OrganisationJoined,
            {"partnership_id": (int, ...)},
            "$.partnership_id: added as a required property",
        ),
        (
            NetworkCreated,
            {"region_code": (str, "unknown")},
            "$.region_code: no longer accepts null",
        ),
        (
            OrganisationJoined,
            {"kind": (Literal["nhs_trust", "healthwatch", "charity", "gp_practice"], ...)},
            "$.kind: no longer allows 'icb', 'local_authority', 'research', 'other'",
        ),
        (
            NetworkCreated,
            {"name": (str, pydantic.Field(min_length=1, max_length=100))},
            "$.name: maxLength lowered from 200 to 100",
        ),
        (
            NetworkCreated,
            {"name": (str, pydantic.Field(min_length=3, max_length=200))},
            "$.name: minLength raised from 1 to 3",
        ),
        (
            NetworkCreated,
            {"name": (pydantic.AnyUrl, ...)},
            "$.name: format 'uri' added",
        ),
        (
            NetworkCreated,
            {"name": (str, pydantic.Field(min_length=1, max_length=200, pattern="^[A-Z]"))},
            "$.name: pattern '^[A-Z]' added",
        ),
        (
            NetworkCreated,
            {"network_id": (int, ...)},
            "$.network_id: no longer accepts string",
        ),
    ],
    ids=[
        "property removed",
        "required property removed",
        "optional made required",
        "required property added",
        "null no longer allowed",
        "enum members removed",
        "max length lowered",
        "min length raised",
        "format added",
        "pattern added",
        "type changed",
    ],
)
def test_check_compatibility_reports_a_breaking_change(
    contract: type[Contract], change: dict[str, Any], reported: str
) -> None:
    breaking = check_compatibility(
        published_snapshot(contract), derived(contract, **change).model_json_schema()
    )

    assert reported in breaking


@pytest.mark.parametrize(
    ("contract", "change"),
    [
        (OrganisationJoined, {"website_url": (str | None, None)}),
        (
            OrganisationJoined,
            {
                "kind": (
                    Literal[
                        "nhs_trust",
                        "healthwatch",
                        "charity",
                        "gp_practice",
                        "icb",
                        "local_authority",
                        "research",
                        "other",
                        "hospice",
                    ],
                    ...,
                )
            },
        ),
        (NetworkCreated, {"name": (str, pydantic.Field(max_length=300))}),
        (NetworkCreated, {"created_at": (datetime | None, ...)}),
        (OrganisationJoined, {"ods_code": (str | None, None)}),
    ],
    ids=[
        "optional property added",
        "enum member added",
        "length limits relaxed",
        "null now allowed",
        "pattern dropped",
    ],
)
def test_check_compatibility_accepts_a_compatible_change(
    contract: type[Contract], change: dict[str, Any]
) -> None:
    new_schema = derived(contract, **change).model_json_schema()

    assert check_compatibility(published_snapshot(contract), new_schema) == []


def test_a_number_narrowed_to_an_integer_is_breaking_and_the_reverse_is_not() -> None:
    number = {"type": "object", "properties": {"hours": {"type": "number"}}}
    integer = {"type": "object", "properties": {"hours": {"type": "integer"}}}

    assert check_compatibility(number, integer) == ["$.hours: no longer accepts number"]
    assert check_compatibility(integer, number) == []


def test_a_type_list_losing_null_is_breaking() -> None:
    old = {"type": "object", "properties": {"ods": {"type": ["string", "null"]}}}
    new = {"type": "object", "properties": {"ods": {"type": "string"}}}

    assert check_compatibility(old, new) == ["$.ods: no longer accepts null"]


def test_references_are_resolved_within_each_schema() -> None:
    def schema(kinds: list[str]) -> dict[str, Any]:
        return {
            "$defs": {"Kind": {"enum": kinds, "type": "string"}},
            "type": "object",
            "properties": {"kind": {"anyOf": [{"$ref": "#/$defs/Kind"}, {"type": "null"}]}},
        }

    assert check_compatibility(schema(["a", "b"]), schema(["a", "b", "c"])) == []
    assert check_compatibility(schema(["a", "b"]), schema(["a"])) == [
        "$.kind: no longer allows 'b'"
    ]


def test_nested_models_are_compared_field_by_field() -> None:
    class PlaceV1(pydantic.BaseModel):
        district: str
        ward: str | None = None

    class PlaceV2(pydantic.BaseModel):
        district: str

    class HeldV1(Contract):
        places: list[PlaceV1]

    class HeldV2(Contract):
        places: list[PlaceV2]

    breaking = check_compatibility(HeldV1.model_json_schema(), HeldV2.model_json_schema())

    assert breaking == ["$.places[].ward: removed"]


def test_a_recursive_schema_is_compared_without_endless_recursion() -> None:
    class Topic(pydantic.BaseModel):
        code: str
        children: list["Topic"] = []

    schema = Topic.model_json_schema()

    assert check_compatibility(schema, schema) == []


# 3. Published event types are never deleted.


@pytest.mark.parametrize(
    "path", sorted(SCHEMA_DIRECTORY.glob("*.json")), ids=lambda path: path.stem
)
def test_every_published_snapshot_still_has_its_contract(path: Path) -> None:
    assert contract_for(path.stem).event_type() == path.stem


# 4. Upcasting old versions to the newest.


def declare_parcel_sent() -> None:
    """Three versions of a throwaway event, with upcasters from v1 to v2 to v3."""

    class ParcelSentV1(Contract, service=TEST_SERVICE, name="ParcelSent", version=1):
        weight_grams: int

    class ParcelSentV2(Contract, service=TEST_SERVICE, name="ParcelSent", version=2):
        weight_kg: float

    class ParcelSent(Contract, service=TEST_SERVICE, version=3):
        weight_kg: float
        carrier: str

    @register_upcaster(ParcelSentV1.event_type(), ParcelSentV2.event_type())
    def upcast_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
        return {"weight_kg": data.pop("weight_grams") / 1000, **data}

    @register_upcaster(ParcelSentV2.event_type(), ParcelSent.event_type())
    def upcast_v2_v3(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "carrier": "unknown"}


@pytest.mark.usefixtures("scratch_catalogue")
def test_parse_event_upcasts_old_data_to_the_newest_version() -> None:
    declare_parcel_sent()
    data = {"weight_grams": 1500}

    event = parse_event(f"chorus.{TEST_SERVICE}.ParcelSent.v1", data)

    assert type(event) is contract_for(f"chorus.{TEST_SERVICE}.ParcelSent.v3")
    assert event.model_dump() == {"weight_kg": 1.5, "carrier": "unknown"}
    assert data == {"weight_grams": 1500}, "the caller's data must not change"


@pytest.mark.usefixtures("scratch_catalogue")
def test_upcast_returns_the_newest_type_and_data() -> None:
    declare_parcel_sent()

    assert upcast(f"chorus.{TEST_SERVICE}.ParcelSent.v2", {"weight_kg": 2.0}) == (
        f"chorus.{TEST_SERVICE}.ParcelSent.v3",
        {"weight_kg": 2.0, "carrier": "unknown"},
    )


@pytest.mark.usefixtures("scratch_catalogue")
def test_parse_event_refuses_a_version_that_cannot_reach_the_newest() -> None:
    class SlotV1(Contract, service=TEST_SERVICE, name="SlotBooked", version=1):
        hour: int

    class SlotBooked(Contract, service=TEST_SERVICE, version=2):
        starts_at: datetime

    assert missing_upcasters() == [
        f"{SlotV1.event_type()} upcasts only as far as {SlotV1.event_type()}, "
        "not to the newest version"
    ]
    with pytest.raises(CatalogueError, match="not to the newest version"):
        parse_event(SlotV1.event_type(), {"hour": 9})


def test_every_published_version_upcasts_to_the_newest() -> None:
    assert missing_upcasters() == []


@pytest.mark.usefixtures("scratch_catalogue")
def test_upcasters_go_one_version_at_a_time_within_one_event() -> None:
    class GiftV1(Contract, service=TEST_SERVICE, name="GiftGiven", version=1):
        pass

    class GiftV3(Contract, service=TEST_SERVICE, name="GiftGiven", version=3):
        pass

    class Other(Contract, service=TEST_SERVICE, name="GiftTaken", version=2):
        pass

    with pytest.raises(CatalogueError, match="one version at a time"):
        register_upcaster(GiftV1.event_type(), GiftV3.event_type())(dict)
    with pytest.raises(CatalogueError, match="different event"):
        register_upcaster(GiftV1.event_type(), Other.event_type())(dict)
    with pytest.raises(UnknownEventType):
        register_upcaster(GiftV1.event_type(), f"chorus.{TEST_SERVICE}.GiftGiven.v2")(dict)


def test_registrations_inside_an_isolated_catalogue_are_forgotten() -> None:
    before = all_contracts()
    with isolated_catalogue():
        declare_parcel_sent()
        assert len(all_contracts()) == len(before) + 3

    assert all_contracts() == before
    with pytest.raises(UnknownEventType, match="no contract is registered"):
        contract_for(f"chorus.{TEST_SERVICE}.ParcelSent.v1")


# 5. Event types, topics and sources.


@pytest.mark.parametrize("contract", PUBLISHED, ids=lambda contract: contract.event_type())
def test_every_published_event_type_is_well_formed(contract: type[Contract]) -> None:
    assert EVENT_TYPE.fullmatch(contract.event_type())
    assert contract.event_service in SERVICES
    assert contract_for(contract.event_type()) is contract


def test_event_type_names_service_event_and_version() -> None:
    assert NetworkCreated.event_type() == "chorus.registry.NetworkCreated.v1"
    assert OrganisationJoined.event_type() == "chorus.registry.OrganisationJoined.v1"


@pytest.mark.usefixtures("scratch_catalogue")
@pytest.mark.parametrize(
    "keywords",
    [
        {"service": "Registry", "version": 1},
        {"service": "registry.v2", "version": 1},
        {"service": TEST_SERVICE, "version": 0},
        {"service": TEST_SERVICE, "version": True},
        {"service": TEST_SERVICE, "version": 1, "name": "networkCreated"},
        {"service": TEST_SERVICE},
        {"version": 1},
    ],
)
def test_a_malformed_declaration_is_refused(keywords: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        type("ThingHappened", (Contract,), {}, **keywords)


@pytest.mark.usefixtures("scratch_catalogue")
def test_an_event_type_is_declared_only_once() -> None:
    class Twice(Contract, service=TEST_SERVICE, version=1):
        pass

    with pytest.raises(CatalogueError, match="declared twice"):

        class Again(Contract, service=TEST_SERVICE, name="Twice", version=1):
            pass


def test_topics_and_sources_follow_the_naming_scheme() -> None:
    assert SERVICES == ("registry", "opportunities", "feedback", "notifications")
    assert events_topic("registry") == "chorus.registry.events"
    assert dlq_topic("notifications") == "chorus.notifications.dlq"
    assert source("feedback") == "/chorus/feedback"
    with pytest.raises(ValueError):
        events_topic("registry.events")


# The registry's contracts on the wire.


def test_a_registry_event_round_trips_through_json() -> None:
    event = OrganisationJoined(
        organisation_id=uuid4(),
        network_id=uuid4(),
        name="Healthwatch Sheffield",
        kind="healthwatch",
        joined_at=datetime(2025, 3, 1, 9, 30, tzinfo=UTC),
    )

    wire = json.loads(event.model_dump_json())

    assert parse_event(OrganisationJoined.event_type(), wire) == event


def test_a_reader_ignores_fields_added_by_a_newer_producer() -> None:
    event = NetworkCreated(network_id=uuid4(), name="South Yorkshire", created_at=datetime.now(UTC))
    wire = {**json.loads(event.model_dump_json()), "added_later": "optional"}

    assert parse_event(NetworkCreated.event_type(), wire) == event


def test_a_producer_cannot_add_undeclared_fields_or_change_a_fact() -> None:
    with pytest.raises(pydantic.ValidationError, match="Extra inputs"):
        NetworkCreated(  # type: ignore[call-arg]
            network_id=uuid4(), name="X", created_at=datetime.now(UTC), chair="A Person"
        )
    event = NetworkCreated(network_id=uuid4(), name="X", created_at=datetime.now(UTC))
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        event.name = "Y"  # type: ignore[misc]


def test_times_on_the_wire_carry_their_timezone() -> None:
    with pytest.raises(pydantic.ValidationError, match="timezone"):
        NetworkCreated(network_id=uuid4(), name="X", created_at=datetime(2025, 1, 1))


def test_an_unknown_event_type_is_a_clear_error() -> None:
    with pytest.raises(UnknownEventType) as raised:
        parse_event("chorus.registry.NetworkRenamed.v1", {})

    assert str(raised.value) == "no contract is registered for 'chorus.registry.NetworkRenamed.v1'"
    assert isinstance(raised.value, KeyError)


# The export command.


def test_export_writes_new_and_changed_snapshots_only(tmp_path: Path) -> None:
    first = export_snapshots(tmp_path)
    unchanged = export_snapshots(tmp_path)
    path = snapshot_path(tmp_path, OrganisationJoined.event_type())
    older = json.loads(path.read_text(encoding="utf-8"))
    del older["properties"]["ods_code"]["description"]  # as if documented since
    path.write_text(render(older), encoding="utf-8")
    changed = export_snapshots(tmp_path)

    assert sorted(path.name for path in first) == sorted(
        f"{contract.event_type()}.json" for contract in PUBLISHED
    )
    assert unchanged == []
    assert changed == [path]
    assert path.read_text(encoding="utf-8") == render(schema_of(OrganisationJoined))


def test_export_refuses_to_overwrite_an_incompatible_snapshot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["export", "--directory", str(tmp_path)])
    path = snapshot_path(tmp_path, NetworkCreated.event_type())
    published = json.loads(path.read_text(encoding="utf-8"))
    published["properties"]["chair_count"] = {"type": "integer"}  # as if since removed
    path.write_text(render(published), encoding="utf-8")

    exit_code = main(["export", "--directory", str(tmp_path)])

    assert exit_code == 1
    assert "$.chair_count: removed" in capsys.readouterr().err
    assert json.loads(path.read_text(encoding="utf-8")) == published
