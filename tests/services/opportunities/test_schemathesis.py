"""Schemathesis over the opportunities service's OpenAPI document: no 5xx, and every answer as
documented.

Every operation of the document is fuzzed in process, once for each kind of caller (the staff
of the organisation that offers the opportunity, a participant in the pool, the network admin),
with Schemathesis's default phases (examples, coverage, fuzzing) and checks, plus one of our
own: every error is RFC 9457 problem+json. Every case of every phase is sent with the caller's
token. Most of a run is the coverage phase, the same for every caller, so the callers are few:
nobody has no run of their own (every route but the operations ones needs a token, and
Schemathesis's `ignored_auth` check sends each of those without one, and with a bad one, under
every caller), and another organisation's staff, expired and forged tokens are the cross-tenant
suite's (`tests/security`). The answers to the requests that seed the service are checked too.

The data is seeded once, as in a region: the registry and the opportunities service on one
embedded bus, a network, two organisations, a participant who reached the opportunities pool, a
published opportunity whose invitation they accepted, a session they attended and were paid
for under the organisation's rate card, and two expenses they claimed (one approved). Each test
gets a fresh copy of that data, so no test sees another's writes. Most of the identifiers
Schemathesis generates are pointed at the seeded records (`RegionUnderTest.known`), the rest
stay made up, so the successful answers are exercised as well as the 404s. Generation is
derandomized: a failure found once is found on every run.

One default check is off: `positive_data_acceptance`. The service decides more than JSON Schema
can say (a closing date in the past or over three years away, seats below the people already
assigned, a session recorded before it ended, an in-person opportunity without its district,
an invitation to someone who does not fit), so schema-valid input is rightly refused.
"""

import copy
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack, closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis import checks
from schemathesis.python.asgi import ASGIClient, shutdown_lifespans

from chorus.app import create_app
from chorus.service import ServiceSpec, build_bus
from chorus.settings import Settings, load_settings
from opportunities.bootstrap import service as opportunities
from registry.bootstrap import service as registry
from tests.services.opportunities.conftest import opportunity
from tests.services.registry.conftest import ADMIN_KEY
from tests.services.schemathesis_checks import fuzzed_schema, problem_details
from tests.services.schemathesis_support import (
    MADE,
    SeededService,
    give_caller,
    give_every_case_its_caller,
)

CALLERS = ["org_staff", "participant", "network_admin"]
EMAIL = "alex@example.org"
MAX_EXAMPLES = 3  # per operation and caller, in the fuzzing phase
REGISTRY_HOST = "registry"  # requests to this host go to the registry, the rest to opportunities
ADVANCES = "/v1/expenses/advances"

# Schemathesis's ASGI client runs the apps' event loop in another thread, so a library there
# touching the global `random` while Hypothesis draws a case looks to Hypothesis like a
# strategy using `random`. That warning, and only that one, says nothing about the service.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies"
    ":hypothesis.errors.HypothesisDeprecationWarning")


def _settings(data_dir: Path) -> Settings:
    return load_settings(data_dir=data_dir, poll_interval=0.05, admin_api_key=ADMIN_KEY)


@dataclass
class Seed:
    """A seeded region's data directory, every caller's token, and what it holds."""

    data_dir: Path
    tokens: dict[str, str | None]
    known: dict[str, list[str]]
    answers: list[tuple[Any, Any]] = field(default_factory=list)  # (case, response) of seeding


class RegionUnderTest(SeededService):
    """The ASGI app Schemathesis calls: the region of the running test, as one app.

    Schemathesis (4.32) starts an ASGI app's lifespan on its first request and its pytest
    plugin ends it after every test, so one app loaded with `from_asgi` would restart with
    each test and carry one test's writes into the next; `schemathesis.pytest.from_fixture`
    fails on pytest 9.2. So the document is loaded once, and the app Schemathesis calls is
    this stand-in. Its lifespan starts a region as `conftest.region` does: the embedded bus,
    then each service (the registry only while seeding: the opportunities service never calls
    it). Requests to the host `registry` go to the registry, all others to opportunities.
    """

    def __init__(self) -> None:
        self.data_dir: Path | None = None
        self.services: tuple[ServiceSpec, ...] = ()
        self.seed: Seed | None = None
        self.caller = "anonymous"
        self.apps: dict[str, Any] = {}

    def load(self, data_dir: Path, *services: ServiceSpec) -> None:
        self.data_dir, self.services = data_dir, services

    def unload(self) -> None:
        self.data_dir, self.services, self.seed, self.caller = None, (), None, "anonymous"
        self.apps = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        assert self.apps, "no region is running for this test"
        host = scope["server"][0] if scope.get("server") else ""
        await self.apps["registry" if host == REGISTRY_HOST else "opportunities"](
            scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        assert self.data_dir is not None, "no data directory for this test's region"
        await receive()  # lifespan.startup
        async with AsyncExitStack() as running:
            try:
                await self._start(running)
            except Exception as error:
                await send({"type": "lifespan.startup.failed", "message": repr(error)})
                raise
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
            self.apps = {}
        await send({"type": "lifespan.shutdown.complete"})

    async def _start(self, running: AsyncExitStack) -> None:
        assert self.data_dir is not None
        settings = _settings(self.data_dir)
        bus = build_bus(settings, "chorus-tests")
        await bus.start()
        running.push_async_callback(bus.stop)
        apps = {spec.name: create_app(spec, settings, bus) for spec in self.services}
        for app in apps.values():
            await running.enter_async_context(app.router.lifespan_context(app))
        self.apps = apps


with tempfile.TemporaryDirectory() as _nowhere:  # the document needs no running service
    DOCUMENT = create_app(opportunities, _settings(Path(_nowhere))).openapi()

REGION = RegionUnderTest()
schema = fuzzed_schema(DOCUMENT, REGION, MAX_EXAMPLES)
give_every_case_its_caller(schema, REGION, bodies=False)




Hook = Callable[[Any, Any], Any]
Test = Callable[[Any], None]


def _hook(function: Hook) -> Hook:
    """`schema.hook`, typed: a hook of this schema, by its name."""
    schema.hook(function)
    return function


def _pointed_body(path: str | None, body: dict[str, Any]) -> Any:
    if path != ADVANCES:
        return REGION.pointed("", body)
    # An advance is for a session still to come: the scheduled one, not the one held.
    body = {("scheduled_session_id" if k == "session_id" else k): v for k, v in body.items()}
    pointed = REGION.pointed("", body)
    return {("session_id" if k == "scheduled_session_id" else k): v for k, v in pointed.items()}


@_hook
def map_body(context: Any, body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    return _pointed_body(context.operation.path if context.operation else None, body)


@schemathesis.hook
def before_call(context: Any, case: Any, **kwargs: Any) -> None:
    if case.operation.schema.app is not REGION:
        return
    give_caller(case, REGION)
    made = MADE.get(id(case))  # a case of the examples or coverage phase, as it was made
    if case.operation.path == ADVANCES and made is not None and isinstance(made[1][2], dict):
        case.body = _pointed_body(ADVANCES, copy.deepcopy(made[1][2]))


@schemathesis.python.constants
def _route_literals() -> str:
    # What `from_asgi` would reuse from the handlers' source, had it loaded the app itself.
    return "opportunities.api"


class Seeding:
    """The requests that seed a region: to the registry with a plain client, to the
    opportunities service as Schemathesis cases, whose answers are checked later."""

    def __init__(self, client: ASGIClient) -> None:
        self.client = client
        self.answers: list[tuple[Any, Any]] = []
        self.codes: dict[str, str] = {}

    def registry(self, method: str, path: str, token: str | None = None,
                 body: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.request(method, f"http://{REGISTRY_HOST}{path}", json=body,
                                       headers=headers)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} " + (
            response.text)
        return response.json() if response.content else None

    def token_for(self, api_key: str) -> str:
        return str(self.registry("POST", "/v1/auth/token", body={"api_key": api_key})[
            "access_token"])

    def call(self, operation: tuple[str, str], token: str, **parts: Any) -> Any:
        path, method = operation
        case = schema[path][method].Case(headers={"Authorization": f"Bearer {token}"},
                                         **parts)
        response = case.call()
        assert response.status_code < 300, f"{method} {path}: {response.status_code} " + (
            response.text)
        self.answers.append((case, response))
        return response.json()


def _seed(seeding: Seeding, data_dir: Path) -> Seed:
    """A network with two organisations, a participant in the pool, and an opportunity of the
    first organisation's that they accepted and attended, were paid for under its rate card,
    and claimed two expenses for (one approved)."""
    async def remember(participant_id: object, code: str) -> None:
        seeding.codes[str(participant_id)] = code

    REGION.apps["registry"].state.service.access.send_code = remember
    admin = seeding.token_for(ADMIN_KEY)
    network_id = seeding.registry("POST", "/v1/networks", admin,
                                  {"name": "North Example"})["network_id"]
    organisations = {}
    for caller, name in (("org_staff", "Example Trust"), ("other_org_staff", "Other Carers")):
        organisation_id = seeding.registry("POST", "/v1/organisations", admin, {
            "network_id": network_id, "name": name, "kind": "charity"})["organisation_id"]
        key = seeding.registry("POST", f"/v1/organisations/{organisation_id}/api-keys", admin,
                               {"label": "tests"})
        organisations[caller] = (organisation_id, seeding.token_for(key["api_key"]))
    participant_id = seeding.registry("POST", "/v1/participants", body={
        "network_id": network_id, "details": {"name": "Alex Example", "email": EMAIL},
        "profile": {"roles": ["patient"], "methods": ["in_person", "speaking"],
                    "topics": ["diabetes"], "postcode_district": "LS6", "travel_radius_km": 15},
        "consent": {"scope": "network"}})["participant_id"]
    seeding.registry("POST", "/v1/auth/participant-code", body={"email": EMAIL})
    participant = seeding.registry("POST", "/v1/auth/participant-token", body={
        "email": EMAIL, "code": seeding.codes[participant_id]})["access_token"]
    organisation_id, staff = organisations["org_staff"]
    tokens = {"anonymous": None, "network_admin": admin, "org_staff": staff,
              "other_org_staff": organisations["other_org_staff"][1], "participant": participant}

    published = seeding.call(("/v1/opportunities", "POST"), staff, body=opportunity())
    opportunity_id = published["opportunity_id"]
    _until_matched(seeding, opportunity_id, participant_id, staff)
    invitation = seeding.call(("/v1/opportunities/{opportunity_id}/invitations", "POST"), staff,
                              path_parameters={"opportunity_id": opportunity_id},
                              body={"participant_ids": [participant_id]})[0]
    seeding.call(("/v1/invitations/{invitation_id}/accept", "POST"), participant,
                 path_parameters={"invitation_id": invitation["invitation_id"]})
    yesterday = datetime.combine(date.today() - timedelta(days=1), datetime.min.time(), UTC)
    held = seeding.call(("/v1/opportunities/{opportunity_id}/sessions", "POST"), staff,
                        path_parameters={"opportunity_id": opportunity_id}, body={
                            "starts_at": (yesterday + timedelta(hours=10)).isoformat(),
                            "ends_at": (yesterday + timedelta(hours=13)).isoformat(),
                            "attendance": [{"participant_id": participant_id, "hours": 3}]})
    expense = seeding.call(("/v1/expenses", "POST"), participant, body={
        "participant_id": participant_id, "opportunity_id": opportunity_id,
        "session_id": held["session_id"], "kind": "public_transport", "amount_pence": 640})
    approved = seeding.call(("/v1/expenses", "POST"), staff, body={
        "participant_id": participant_id, "opportunity_id": opportunity_id,
        "session_id": held["session_id"], "kind": "parking", "amount_pence": 350})
    seeding.call(("/v1/expenses/{expense_id}/approve", "POST"), staff,
                 path_parameters={"expense_id": approved["expense_id"]})
    seeding.call(("/v1/organisations/{organisation_id}/rate-card", "PUT"), staff,
                 path_parameters={"organisation_id": organisation_id},
                 body={"hourly_pence": 2500, "half_day_pence": 7500, "full_day_pence": 15000})
    seeding.call(("/v1/opportunities/{opportunity_id}/payments", "POST"), staff,
                 path_parameters={"opportunity_id": opportunity_id},
                 body={"session_id": held["session_id"], "participant_id": participant_id})
    seeding.call(("/v1/participants/{participant_id}/involvement", "GET"), participant,
                 path_parameters={"participant_id": participant_id})
    known = {"network_id": [network_id],
             "organisation_id": [organisation_id, organisations["other_org_staff"][0]],
             "participant_id": [participant_id], "opportunity_id": [opportunity_id],
             "invitation_id": [invitation["invitation_id"]], "session_id": [held["session_id"]],
             "scheduled_session_id": [published["sessions"][0]["session_id"]],
             "expense_id": [expense["expense_id"], approved["expense_id"]]}
    return Seed(data_dir, tokens, known, seeding.answers)


def _until_matched(seeding: Seeding, opportunity_id: str, participant_id: str,
                   staff: str) -> None:
    """Wait until the registry's events about the participant reached the opportunities pool
    (they then match the opportunity)."""
    deadline = time.monotonic() + 15
    while True:
        matches = seeding.call(("/v1/opportunities/{opportunity_id}/matches", "GET"), staff,
                               path_parameters={"opportunity_id": opportunity_id})
        if any(m["participant_id"] == participant_id for m in matches["matches"]):
            return
        assert time.monotonic() < deadline, "the participant never reached the pool"
        time.sleep(0.05)


def _unfinished(data_dir: Path) -> list[str]:
    """What the region still has to do: events to publish, consume or project."""
    queries = {
        "registry.db": ["SELECT count(*) FROM outbox WHERE published_at IS NULL"],
        "opportunities.db": [
            "SELECT count(*) FROM outbox WHERE published_at IS NULL",
            "SELECT count(*) FROM projection_positions"
            " WHERE position < (SELECT max(position) FROM events)"],
        "bus.db": ["SELECT count(*) FROM bus_log WHERE topic = 'chorus.registry.events'"
                   " AND \"offset\" > (SELECT coalesce(max(\"offset\"), 0) FROM bus_offsets"
                   " WHERE \"group\" = 'chorus.opportunities'"
                   " AND topic = 'chorus.registry.events')"]}
    unfinished = []
    for database, checks_ in queries.items():
        with closing(sqlite3.connect(data_dir / database, timeout=5)) as db:
            unfinished += [f"{database}: {q}" for q in checks_ if db.execute(q).fetchone()[0]]
    return unfinished


def _settle(data_dir: Path) -> None:
    """Wait until every event of the seed is published, consumed and projected, so every copy
    starts idle and alike."""
    deadline = time.monotonic() + 15
    while unfinished := _unfinished(data_dir):
        assert time.monotonic() < deadline, f"the region did not settle: {unfinished}"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seed:
    """A seeded region's data, made once and copied for every test."""
    data_dir = tmp_path_factory.mktemp("seed")
    REGION.load(data_dir, registry, opportunities)
    try:
        with ASGIClient(REGION) as client:  # starts the region's lifespan
            seed = _seed(Seeding(client), data_dir)
            served = client.get("/openapi.json").json()
            _settle(data_dir)
        assert served == DOCUMENT, "the document under test is not the one the service serves"
        return seed
    finally:
        shutdown_lifespans()
        REGION.unload()


@pytest.fixture(params=CALLERS)
def region_under_test(request: pytest.FixtureRequest, seeded: Seed,
                      tmp_path: Path) -> Iterator[Seed]:
    """A fresh copy of the seeded region, called as one kind of caller."""
    data_dir = tmp_path / "data"
    shutil.copytree(seeded.data_dir, data_dir)
    REGION.load(data_dir, opportunities)
    REGION.seed, REGION.caller = seeded, request.param
    try:
        yield seeded
    finally:
        shutdown_lifespans()
        REGION.unload()


every_operation: Callable[[Test], Test] = schema.parametrize()


@every_operation
@pytest.mark.usefixtures("region_under_test")
def test_operation(case: Any) -> None:
    case.call_and_validate()


RESPONSE_CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
                   checks.content_type_conformance, checks.response_schema_conformance,
                   checks.response_headers_conformance, problem_details]


def test_seeding_answers(seeded: Seed) -> None:
    """The successful answers fuzzing seldom reaches (publishing, matching, inviting, accepting,
    recording a session, claiming and approving expenses, setting a rate card, paying for
    involvement, a person's involvement record) are as documented too."""
    assert len(seeded.answers) >= 11  # the requests `_seed` makes of opportunities, and waits
    for case, response in seeded.answers:
        case.validate_response(response, checks=RESPONSE_CHECKS)
