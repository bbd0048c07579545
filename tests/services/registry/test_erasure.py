"""The right to erasure: once a person asks to be forgotten, nothing that identifies them
can be read back from anything the registry keeps: its database, the bus, its logs.

Personal details are sealed under the person's own key before they are stored, so the
plaintext must never be found, before erasure or after; erasure shreds the key and
releases the e-mail address, so the sealed copies become unreadable for good.
"""

import asyncio
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, inspect, select

from chorus.auth import Principal, Role, TokenIssuer
from chorus.service import ServiceRuntime
from chorus.store.schema import data_keys
from registry.bootstrap_state import RegistryState
from tests.services.registry.conftest import Registry

Headers = dict[str, str]

NAME = "Philippa Quarrington-Fenwick"
EMAIL_TYPED = "Philippa.Quarrington@EXAMPLE.org"
EMAIL = "Philippa.Quarrington@example.org"  # as stored: the domain in lower case
PHONE_TYPED = "0113 496 0731"
PHONE_E164 = "+441134960731"
POSTCODE = "YO31 7QZ"
DATE_OF_BIRTH = "1957-03-14"
NOTES = "Prefers afternoons; brings a hearing loop; marmalade-zebrafinch-7731"
AGE_BAND = "Age 65 to 74 larkspurvale"
ETHNICITY = "Cornish heritage larkspurvale"
DISABILITY = "Tinnitus with quillwort aid"

DETAILS = {"name": NAME, "email": EMAIL_TYPED, "phone": PHONE_TYPED, "postcode": POSTCODE,
           "date_of_birth": DATE_OF_BIRTH, "notes": NOTES}
EQUALITY = {"age_band": AGE_BAND, "ethnicity": ETHNICITY, "disability": DISABILITY}

# Every spelling of the person that must never be read back. The scan ignores case.
PERSONAL = (NAME, "Quarrington", EMAIL, "Philippa.Quarrington@", PHONE_TYPED, PHONE_E164,
            "1134960731", POSTCODE, POSTCODE.replace(" ", ""), DATE_OF_BIRTH, NOTES,
            "marmalade-zebrafinch", AGE_BAND, ETHNICITY, DISABILITY, "larkspurvale",
            "quillwort")
CONTACT = (NAME, "Quarrington", EMAIL, PHONE_TYPED, PHONE_E164, "1134960731", POSTCODE)


# Scanning what is stored.


@dataclass(frozen=True)
class Finding:
    where: str
    needle: str


def _holds(value: object, needle: str) -> bool:
    """Whether a stored value contains the needle, in any case, raw or decoded."""
    wanted = needle.lower()
    if value is None:
        return False
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        return (wanted.encode() in raw.lower()
                or wanted in raw.decode("utf-8", errors="ignore").lower())
    text = str(value)
    if wanted in text.lower():
        return True
    try:  # JSON text escapes non-ASCII characters: compare its decoded form too
        decoded = json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        return False
    return wanted in decoded.lower()


def scan_database(path: Path, needles: Iterable[str]) -> list[Finding]:
    """Every (table.column, needle) where a value of any column of any table holds it."""
    wanted = list(needles)
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    findings = []
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            for table in inspector.get_table_names():
                columns = [column["name"] for column in inspector.get_columns(table)]
                listed = ", ".join(f'"{column}"' for column in columns)
                for row in conn.exec_driver_sql(f'SELECT {listed} FROM "{table}"'):
                    findings += [Finding(f"{table}.{column}", needle)
                                 for column, value in zip(columns, row, strict=True)
                                 for needle in wanted if _holds(value, needle)]
    finally:
        engine.dispose()
    return findings


def scan_files(directory: Path, needles: Iterable[bytes | str]) -> list[Finding]:
    """Every (file, needle) where the raw bytes of a file under `directory` hold it: text in
    any case, bytes exactly."""
    findings = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        raw = path.read_bytes()
        findings += [Finding(path.name, _label(needle)) for needle in needles
                     if (needle in raw if isinstance(needle, bytes)
                         else needle.lower().encode() in raw.lower())]
    return findings


def _label(needle: bytes | str) -> str:
    return needle if isinstance(needle, str) else f"<{len(needle)} bytes: {needle[:8].hex()}...>"


# The registry under test.


def app_of(registry: Registry) -> FastAPI:
    return cast(FastAPI, registry.app)


def runtime_of(registry: Registry) -> ServiceRuntime:
    runtime: ServiceRuntime = app_of(registry).state.runtime
    return runtime


def state_of(registry: Registry) -> RegistryState:
    state: RegistryState = app_of(registry).state.service
    return state


def registry_db(registry: Registry) -> Path:
    return Path(str(runtime_of(registry).db.url.database))


def bus_db(registry: Registry) -> Path:
    bus: Any = runtime_of(registry).bus  # the embedded bus keeps its log in one SQLite file
    return Path(str(bus.db.url.database))


def data_dir(registry: Registry) -> Path:
    return runtime_of(registry).settings.data_dir


async def relayed(registry: Registry) -> None:
    """Wait until every stored event's public message is on the bus."""
    async with asyncio.timeout(10):
        while await runtime_of(registry).relay.pending():
            await asyncio.sleep(0.02)


def email_index(registry: Registry) -> str:
    index: str = state_of(registry).participants.keys.blind_index(EMAIL.lower(), purpose="email")
    return index


async def wrapped_key(registry: Registry, participant_id: str) -> bytes | None:
    async with runtime_of(registry).db.connect() as conn:
        key: bytes | None = await conn.scalar(
            select(data_keys.c.wrapped_key).where(data_keys.c.subject_id == participant_id))
        return key


@dataclass(frozen=True)
class Joined:
    network: str
    participant_id: str
    me: Headers
    staff: Headers


async def join_and_answer_monitoring(registry: Registry) -> Joined:
    """The person joins with every detail, signs in, and answers equality monitoring."""
    http = registry.http
    network = await registry.network()
    _, staff = await registry.organisation(network, "Example Healthwatch")
    joined = await http.post("/v1/participants", json={
        "network_id": network, "details": DETAILS,
        "profile": {"roles": ["carer"], "methods": ["online", "writing"],
                    "topics": ["carers"]},
        "consent": {"scope": "network"}})
    assert joined.status_code == 201, joined.text
    participant_id = joined.json()["participant_id"]
    me = await registry.sign_in(participant_id, EMAIL_TYPED)
    answered = await http.put(f"/v1/participants/{participant_id}/consent", headers=me, json={
        "scope": "network", "equality_monitoring": True, "deprivation_decile": 2, **EQUALITY})
    assert answered.status_code == 200, answered.text
    return Joined(network, participant_id, me, staff)


async def erase(registry: Registry, joined: Joined) -> None:
    response = await registry.http.delete(f"/v1/participants/{joined.participant_id}",
                                          headers=joined.me)
    assert response.status_code == 204, response.text


def record_path(joined: Joined) -> str:
    return f"/v1/participants/{joined.participant_id}"


# The scanner itself.


def test_the_scanner_finds_values_in_text_binary_and_json_columns(tmp_path: Path) -> None:
    path = tmp_path / "scratch.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (words TEXT, raw BLOB, doc JSON, n INTEGER)")
        conn.exec_driver_sql("INSERT INTO t VALUES (?, ?, ?, ?)", (
            f"to {EMAIL.upper()} today", b"\x00\xff" + POSTCODE.encode() + b"\xfe",
            json.dumps({"notes": "caf\u00e9 wrenfield"}), 1134960731))
    engine.dispose()
    found = scan_database(path, [EMAIL, POSTCODE, "café wrenfield", "1134960731", NAME])
    assert set(found) == {Finding("t.words", EMAIL), Finding("t.raw", POSTCODE),
                          Finding("t.doc", "café wrenfield"), Finding("t.n", "1134960731")}
    assert Finding("scratch.db", POSTCODE.lower()) in scan_files(tmp_path, [POSTCODE.lower()])


async def test_the_scanner_finds_plaintext_in_the_registrys_own_database(
    registry_app: Registry,
) -> None:
    network = await registry_app.network()
    org, staff = await registry_app.organisation(network, "Example Trust", kind="charity")
    label = f"key for {NAME}"  # a label is stored as typed: fine for a label, not for a person
    created = await registry_app.http.post(f"/v1/organisations/{org}/api-keys",
                                           json={"label": label}, headers=staff)
    assert created.status_code == 201, created.text
    assert Finding("api_keys.label", NAME) in scan_database(registry_db(registry_app), [NAME])


# Erasure.


async def test_personal_details_are_never_stored_or_published_in_the_clear(
    registry_app: Registry,
) -> None:
    joined = await join_and_answer_monitoring(registry_app)
    http = registry_app.http
    mine = await http.get(record_path(joined), headers=joined.me)
    assert mine.status_code == 200, mine.text
    assert mine.json()["details"]["notes"] == NOTES
    assert mine.json()["consent"]["ethnicity"] == ETHNICITY
    assert (await http.get(record_path(joined), headers=joined.staff)).status_code == 200
    await relayed(registry_app)

    stored = scan_database(registry_db(registry_app), [joined.participant_id,
                                                       email_index(registry_app), *PERSONAL])
    assert {f.needle for f in stored} == {joined.participant_id, email_index(registry_app)}
    published = scan_database(bus_db(registry_app), [joined.participant_id, *PERSONAL])
    assert {f.needle for f in published} == {joined.participant_id}


async def test_after_erasure_nothing_stored_or_published_reads_back_as_the_person(
    registry_app: Registry,
) -> None:
    joined = await join_and_answer_monitoring(registry_app)
    await relayed(registry_app)
    assert await wrapped_key(registry_app, joined.participant_id) is not None
    assert scan_database(registry_db(registry_app), [email_index(registry_app)])

    await erase(registry_app, joined)
    await relayed(registry_app)

    assert await wrapped_key(registry_app, joined.participant_id) is None
    assert scan_database(registry_db(registry_app), [email_index(registry_app), *PERSONAL]) \
        == []
    published = scan_database(bus_db(registry_app), [joined.participant_id, *PERSONAL])
    assert {f.needle for f in published} == {joined.participant_id}  # ParticipantErased too
    assert scan_files(data_dir(registry_app), PERSONAL) == []


async def test_after_erasure_the_persons_data_key_survives_in_no_file(
    registry_app: Registry,
) -> None:
    """Shredding the key is the erasure: the wrapped key must not linger anywhere on disk
    (the master key that unwraps it sits in the same data directory)."""
    joined = await join_and_answer_monitoring(registry_app)
    key = await wrapped_key(registry_app, joined.participant_id)
    assert key is not None
    assert scan_files(data_dir(registry_app), [key])  # the scan sees the live key

    await erase(registry_app, joined)

    assert scan_files(data_dir(registry_app), [key]) == []


async def test_after_erasure_the_person_is_gone_for_everyone(registry_app: Registry) -> None:
    joined = await join_and_answer_monitoring(registry_app)
    http = registry_app.http
    await erase(registry_app, joined)

    for headers in (joined.me, joined.staff):
        for method, suffix in [("GET", ""), ("PATCH", "/profile"), ("PUT", "/consent"),
                               ("POST", "/pause"), ("POST", "/resume"), ("POST", "/leave"),
                               ("DELETE", "")]:
            body = ({"roles": ["carer"], "methods": ["online"]} if suffix == "/profile"
                    else {"scope": "network"} if suffix == "/consent" else None)
            response = await http.request(method, record_path(joined) + suffix, json=body,
                                          headers=headers)
            assert response.status_code == 404, (method, suffix, response.text)
            assert_no_contact_details(response)

    sent_before = dict(registry_app.codes)
    asked = await http.post("/v1/auth/participant-code", json={"email": EMAIL})
    assert asked.status_code == 202
    assert registry_app.codes == sent_before  # no code goes to an erased person


async def test_the_address_of_an_erased_person_can_join_again_as_someone_new(
    registry_app: Registry,
) -> None:
    joined = await join_and_answer_monitoring(registry_app)
    http = registry_app.http
    await erase(registry_app, joined)

    again = await http.post("/v1/participants", json={
        "network_id": joined.network, "details": {"name": "Pip Newstart", "email": EMAIL},
        "profile": {"roles": ["patient"], "methods": ["online"]}})
    assert again.status_code == 201, again.text
    new_id = again.json()["participant_id"]
    assert new_id != joined.participant_id
    me = await registry_app.sign_in(new_id, EMAIL)
    record = (await http.get(f"/v1/participants/{new_id}", headers=me)).json()
    assert record["details"]["name"] == "Pip Newstart"
    assert record["consent"].get("ethnicity") is None
    old_token = await http.get(f"/v1/participants/{new_id}", headers=joined.me)
    assert old_token.status_code == 404


def personal_fields(history: Sequence[dict[str, Any]]) -> list[tuple[str, str, object]]:
    """(event type, field, value) of every personal or equality field in the history."""
    holders = {"personal": ("name", "email", "phone", "postcode", "date_of_birth", "notes"),
               "consent": ("age_band", "ethnicity", "disability")}
    return [(event["event_type"], name, event[holder].get(name))
            for event in history for holder, names in holders.items()
            if isinstance(event.get(holder), dict) for name in names]


async def test_history_shows_erased_fields_as_erased_never_as_plaintext(
    registry_app: Registry,
) -> None:
    joined = await join_and_answer_monitoring(registry_app)
    participants = state_of(registry_app).participants
    before = await participants.history(UUID(joined.participant_id))
    opened = {(event, name): value for event, name, value in personal_fields(before)}
    assert opened[("ParticipantJoined", "name")] == NAME  # the history opens what it can
    assert opened[("ConsentChanged", "ethnicity")] == ETHNICITY

    await erase(registry_app, joined)

    after = await participants.history(UUID(joined.participant_id))
    assert [e["event_type"] for e in after][-1] == "ParticipantErased"
    fields = personal_fields(after)
    assert ("ParticipantJoined", "notes", "[erased]") in fields
    assert ("ConsentChanged", "disability", "[erased]") in fields
    assert all(value in ("[erased]", None) for _, _, value in fields), fields
    dumped = json.dumps(after, default=str).lower()
    assert [n for n in PERSONAL if n.lower() in dumped] == []


def joined_principal(joined: Joined) -> Principal:
    return Principal(subject=f"participant:{joined.participant_id}", role=Role.PARTICIPANT,
                     participant_id=UUID(joined.participant_id), network_id=UUID(joined.network))


def assert_no_contact_details(response: httpx.Response) -> None:
    text = response.text.lower()
    assert [n for n in CONTACT if n.lower() in text] == [], response.text


async def test_no_log_record_carries_personal_data(
    registry_app: Registry, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    http = registry_app.http
    joined = await join_and_answer_monitoring(registry_app)
    for headers in (joined.me, joined.staff):
        assert (await http.get(record_path(joined), headers=headers)).status_code == 200
    duplicate = await http.post("/v1/participants", json={
        "network_id": joined.network, "details": {"name": NAME, "email": EMAIL},
        "profile": {"roles": ["patient"], "methods": ["online"]}})
    assert duplicate.status_code == 409
    assert_no_contact_details(duplicate)
    wrong_code = await http.post("/v1/auth/participant-token",
                                 json={"email": EMAIL, "code": "000000"})
    assert wrong_code.status_code == 401
    expired = TokenIssuer(state_of(registry_app).issuer.signing_key, ttl=timedelta(minutes=-5))
    refused = await http.get(record_path(joined), headers={
        "Authorization": f"Bearer {expired.issue(joined_principal(joined))}"})
    assert refused.status_code == 401
    await http.post(f"{record_path(joined)}/pause", headers=joined.me)
    await http.post(f"{record_path(joined)}/resume", headers=joined.me)
    await erase(registry_app, joined)
    await relayed(registry_app)

    assert any(r.name.startswith("chorus") and r.levelno == logging.DEBUG
               for r in caplog.records), "DEBUG records from Chorus were not captured"
    for record in caplog.records:
        logged = f"{record.getMessage()} {record.exc_text or ''} {vars(record)!r}".lower()
        leaked = [n for n in PERSONAL if n.lower() in logged]
        assert leaked == [], (record.name, record.getMessage())
