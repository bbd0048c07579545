"""Schemathesis over the registry's OpenAPI document: no 5xx, and every answer as documented.

Every operation of the document is fuzzed in process, once for each kind of caller (nobody, an
organisation's staff, a participant, the network admin), with Schemathesis's
default phases (examples, coverage, fuzzing) and checks, plus one of our own: every error is RFC
9457 problem+json. A short stateful run per caller follows the links Schemathesis infers between
operations, and the answers to the requests that seed each registry are checked too.

Each test gets a fresh registry, copied from a seeded template (a network, a member
organisation with an API key, a participant), so no test sees another's writes. Half of the
identifiers Schemathesis generates (those with an even UUID) are pointed at the seeded records,
so the successful answers are exercised as well as the 404s. Generation is derandomized: a
failure found once is found on every run.

One default check is off: `positive_data_acceptance`. The registry validates more than JSON
Schema can say (a UK phone number or postcode, an ODS code for NHS bodies, equality details
only with monitoring, a pause ending after today), so schema-valid input is rightly refused.
"""

import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import schemathesis
from hypothesis import settings
from schemathesis import checks
from schemathesis.python.asgi import ASGIClient, shutdown_lifespans

from chorus.app import create_app
from chorus.settings import Settings, load_settings
from registry.bootstrap import service as registry
from tests.services.registry.conftest import ADMIN_KEY
from tests.services.schemathesis_checks import fuzzed_schema, problem_details

CALLERS = ["anonymous", "org_staff", "participant", "network_admin"]
SERVICE_KEY = "chorus_service_test-key-for-schemathesis"
EMAIL = "alex@example.org"
MAX_EXAMPLES = 30  # per operation and caller, in the fuzzing phase
SCENARIOS = 15  # stateful scenarios per caller

# Schemathesis's ASGI client runs the app's event loop in another thread, so a library there
# touching the global `random` while Hypothesis draws a case looks to Hypothesis like a
# strategy using `random`. That warning, and only that one, says nothing about the registry.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies"
    ":hypothesis.errors.HypothesisDeprecationWarning")


def _settings(data_dir: Path) -> Settings:
    return load_settings(data_dir=data_dir, poll_interval=0.05, admin_api_key=ADMIN_KEY,
                         service_keys={"notifications": SERVICE_KEY})


@dataclass
class Seed:
    """A seeded registry's data directory, who calls it, and what it holds."""

    caller: str
    data_dir: Path
    token: str | None
    known: dict[str, str]
    answers: list[tuple[Any, Any]] = field(default_factory=list)  # (case, response) of seeding


class RegistryUnderTest:
    """The ASGI app Schemathesis calls: the registry of the running test, and its caller.

    Schemathesis (4.32) starts an ASGI app's lifespan on its first request and its pytest
    plugin ends it after every test, so one app loaded with `from_asgi` would restart with
    each test and carry one test's writes into the next; `schemathesis.pytest.from_fixture`,
    which would load a schema per test, fails on pytest 9.2 (it sets `Node._nodeid`). So the
    document is loaded once, and the app Schemathesis calls, lifespan included, is this
    stand-in for the registry each test's fixture makes.
    """

    def __init__(self) -> None:
        self.app: Any = None
        self.seed: Seed | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert self.app is not None, "no registry is running for this test"
        await self.app(scope, receive, send)

    def known(self, name: str, value: Any) -> Any:
        """The seeded record's id for half the generated UUIDs (the even ones), else `value`."""
        if self.seed is None or name not in self.seed.known or not isinstance(value, str):
            return value
        try:
            even = UUID(value).int % 2 == 0
        except ValueError:
            return value
        return self.seed.known[name] if even else value


with tempfile.TemporaryDirectory() as _nowhere:  # the document needs no running registry
    DOCUMENT = create_app(registry, _settings(Path(_nowhere))).openapi()

REGISTRY = RegistryUnderTest()
schema = fuzzed_schema(DOCUMENT, REGISTRY, MAX_EXAMPLES)


@schema.auth(refresh_interval=None, retry_on=[])
class CallerToken:
    """The caller's bearer token (none for the anonymous caller)."""

    def get(self, case: Any, context: Any) -> str | None:
        return REGISTRY.seed.token if REGISTRY.seed else None

    def set(self, case: Any, data: str | None, context: Any) -> None:
        if data is not None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schema.hook
def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    if not path_parameters:
        return path_parameters
    return {name: REGISTRY.known(name, value) for name, value in path_parameters.items()}


@schema.hook
def map_body(context: Any, body: Any) -> Any:
    if isinstance(body, dict) and "network_id" in body:
        return {**body, "network_id": REGISTRY.known("network_id", body["network_id"])}
    return body


@schemathesis.python.constants
def _route_literals() -> str:
    # What `from_asgi` would reuse from the handlers' source, had it loaded the app itself.
    return "registry.api"


def _call(operation: tuple[str, str], token: str | None = None, **parts: Any) -> tuple[Any, Any]:
    path, method = operation
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    case = schema[path][method].Case(headers=headers, **parts)
    response = case.call()
    assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
    return case, response


def _seed(caller: str, data_dir: Path) -> Seed:
    """A network, a charity with an API key, and a participant; the caller's token. On the way,
    a Chorus service reads the participant's contact details (the only route it may use)."""
    codes: dict[str, str] = {}

    async def remember(participant_id: object, code: str) -> None:
        codes[str(participant_id)] = code

    REGISTRY.app.state.service.access.send_code = remember
    answers: list[tuple[Any, Any]] = []

    def call(operation: tuple[str, str], token: str | None = None, **parts: Any) -> Any:
        answers.append(_call(operation, token, **parts))
        return answers[-1][1].json()

    def token_for(api_key: str) -> str:
        return str(call(("/v1/auth/token", "POST"), body={"api_key": api_key})["access_token"])

    admin = token_for(ADMIN_KEY)
    network = call(("/v1/networks", "POST"), admin, body={"name": "North Example"})
    organisation = call(("/v1/organisations", "POST"), admin, body={
        "network_id": network["network_id"], "name": "Example Carers", "kind": "charity"})
    organisation_id = organisation["organisation_id"]
    key = call(("/v1/organisations/{organisation_id}/api-keys", "POST"), admin,
               path_parameters={"organisation_id": organisation_id}, body={"label": "tests"})
    participant = call(("/v1/participants", "POST"), body={
        "network_id": network["network_id"],
        "details": {"name": "Alex Example", "email": EMAIL, "phone": "0113 496 0000",
                    "postcode": "LS6 2AB"},
        "profile": {"roles": ["patient"], "methods": ["online"], "topics": ["diabetes"]},
        "consent": {"scope": "network"}})
    participant_id = participant["participant_id"]
    call(("/v1/auth/participant-code", "POST"), body={"email": EMAIL})
    signed_in = call(("/v1/auth/participant-token", "POST"),
                     body={"email": EMAIL, "code": codes[participant_id]})
    call(("/internal/v1/participants/{participant_id}/contact", "GET"), token_for(SERVICE_KEY),
         path_parameters={"participant_id": participant_id})
    tokens = {"anonymous": None, "network_admin": admin, "org_staff": token_for(key["api_key"]),
              "participant": signed_in["access_token"]}
    known = {"network_id": network["network_id"], "organisation_id": organisation_id,
             "participant_id": participant_id, "key_id": key["key_id"]}
    return Seed(caller, data_dir, tokens[caller], known, answers)


def _settle(client: ASGIClient) -> None:
    """Wait until the relay has published the seed's events and the projections ran, so every
    copy starts idle and alike."""
    deadline = time.monotonic() + 10
    while 'chorus_outbox_lag{service="registry"} 0.0' not in client.get("/metrics").text:
        assert time.monotonic() < deadline, "the relay did not publish the seed's events"
        time.sleep(0.02)
    time.sleep(0.2)


@pytest.fixture(scope="module", params=CALLERS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Seed:
    """A seeded registry's data, made once per caller and copied for every test."""
    data_dir = tmp_path_factory.mktemp(f"seed-{request.param}")
    REGISTRY.app = create_app(registry, _settings(data_dir))
    try:
        with ASGIClient(REGISTRY) as client:  # starts the registry's lifespan
            seed = _seed(request.param, data_dir)
            served = client.get("/openapi.json").json()
            _settle(client)
        assert served == DOCUMENT, "the document under test is not the one the registry serves"
        return seed
    finally:
        shutdown_lifespans()
        REGISTRY.app = None


@pytest.fixture
def registry_under_test(seeded: Seed, tmp_path: Path) -> Iterator[Seed]:
    """A fresh copy of the seeded registry, called as the seed's caller."""
    data_dir = tmp_path / "data"
    shutil.copytree(seeded.data_dir, data_dir)
    REGISTRY.app = create_app(registry, _settings(data_dir))
    REGISTRY.seed = seeded
    try:
        yield seeded
    finally:
        shutdown_lifespans()
        REGISTRY.app = REGISTRY.seed = None


@schema.parametrize()
@pytest.mark.usefixtures("registry_under_test")
def test_operation(case: Any) -> None:
    case.call_and_validate()


def test_workflows(registry_under_test: Seed) -> None:
    workflow = schema.as_state_machine()
    workflow.run(settings=settings(workflow.TestCase.settings, max_examples=SCENARIOS,
                                   derandomize=True, database=None))


RESPONSE_CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
                   checks.content_type_conformance, checks.response_schema_conformance,
                   checks.response_headers_conformance, problem_details]


def test_seeding_answers(seeded: Seed) -> None:
    """The successful answers fuzzing seldom reaches (a participant joins, keys and codes
    become tokens, a service reads contact details) are as documented too."""
    for case, response in seeded.answers:
        case.validate_response(response, checks=RESPONSE_CHECKS)
