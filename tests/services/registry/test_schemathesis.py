"""Schemathesis over the registry's OpenAPI document: no 5xx, and every answer as documented.

Every operation of the document is fuzzed in process, once for each kind of caller: nobody, the
staff of the seeded organisation, the seeded participant, the network admin, and the
notifications service with its service token (the only caller the internal routes admit).
Schemathesis runs its default phases (examples, coverage, fuzzing) and checks, plus one of our
own: every error is RFC 9457 problem+json. Every case of every phase is sent with the caller's
token (none for nobody), unless it is about the token itself. A short stateful run per caller
follows the links Schemathesis infers between operations, and the answers to the requests that
seed the registry are checked too.

The data is seeded once: a network, a member charity with a contact address and an API key, a
participant who shares with the network and one who shares with the charity only. Each test
gets a fresh copy of that data, so no test sees another's writes. Most of the identifiers
Schemathesis generates are pointed at the seeded records (`RegistryUnderTest.known`), the rest
stay made up, so the successful answers are exercised as well as the 404s. Generation is
derandomized: a failure found once is found on every run.

Nothing leaves the process: a sign-in code the registry would hand to the notifications service
is kept by the test instead (`RegistryUnderTest.codes`).

One default check is off: `positive_data_acceptance`. The registry validates more than JSON
Schema can say (a UK phone number or postcode, an ODS code for NHS bodies, equality details
only with monitoring, a pause ending after today), so schema-valid input is rightly refused.
"""

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
from tests.services.schemathesis_support import SeededService, give_every_case_its_caller

CALLERS = ["anonymous", "org_staff", "participant", "network_admin", "service"]
SERVICE_KEY = "chorus_service_test-key-for-schemathesis"
EMAIL, OTHER_EMAIL = "alex@example.org", "robin@example.org"
MAX_EXAMPLES = 4  # per operation and caller, in the fuzzing phase
SCENARIOS = 6  # stateful scenarios per caller

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
    """A seeded registry's data directory, every caller's token, and what it holds."""

    data_dir: Path
    tokens: dict[str, str | None]
    known: dict[str, list[str]]
    answers: list[tuple[Any, Any]] = field(default_factory=list)  # (case, response) of seeding


class RegistryUnderTest(SeededService):
    """The ASGI app Schemathesis calls: the registry of the running test, and its caller.

    Schemathesis (4.32) starts an ASGI app's lifespan on its first request and its pytest
    plugin ends it after every test, so one app loaded with `from_asgi` would restart with
    each test and carry one test's writes into the next; `schemathesis.pytest.from_fixture`,
    which would load a schema per test, fails on pytest 9.2 (it sets `Node._nodeid`). So the
    document is loaded once, and the app Schemathesis calls is this stand-in. Its lifespan
    starts the test's registry on Schemathesis's event loop, with the sign-in codes it sends
    kept in `codes` rather than handed to a notifications service.
    """

    def __init__(self) -> None:
        self.data_dir: Path | None = None
        self.seed: Seed | None = None
        self.caller = "anonymous"
        self.app: Any = None
        self.codes: dict[str, str] = {}  # participant id -> the last code sent

    def load(self, data_dir: Path, seed: Seed | None, caller: str = "anonymous") -> None:
        self.data_dir, self.seed, self.caller = data_dir, seed, caller

    def unload(self) -> None:
        self.data_dir, self.seed, self.caller, self.app = None, None, "anonymous", None
        self.codes = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        assert self.app is not None, "no registry is running for this test"
        await self.app(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        assert self.data_dir is not None, "no data directory for this test's registry"
        await receive()  # lifespan.startup
        async with AsyncExitStack() as running:
            try:
                app = create_app(registry, _settings(self.data_dir))
                await running.enter_async_context(app.router.lifespan_context(app))
                app.state.service.access.send_code = self._remember
                self.app = app
            except Exception as error:
                await send({"type": "lifespan.startup.failed", "message": repr(error)})
                raise
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
            self.app = None
        await send({"type": "lifespan.shutdown.complete"})

    async def _remember(self, participant_id: object, code: str) -> None:
        self.codes[str(participant_id)] = code


with tempfile.TemporaryDirectory() as _nowhere:  # the document needs no running registry
    DOCUMENT = create_app(registry, _settings(Path(_nowhere))).openapi()

REGISTRY = RegistryUnderTest()
schema = fuzzed_schema(DOCUMENT, REGISTRY, MAX_EXAMPLES)
give_every_case_its_caller(schema, REGISTRY)



Test = Callable[[Any], None]


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


def _seed(data_dir: Path) -> Seed:
    """A network, a charity with a contact address and an API key, a participant who shares
    with the network and one who shares with the charity only; every caller's token. On the
    way, a Chorus service reads a participant's and the charity's contact details (the
    internal routes)."""
    answers: list[tuple[Any, Any]] = []

    def call(operation: tuple[str, str], token: str | None = None, **parts: Any) -> Any:
        answers.append(_call(operation, token, **parts))
        return answers[-1][1].json()

    def token_for(api_key: str) -> str:
        return str(call(("/v1/auth/token", "POST"), body={"api_key": api_key})["access_token"])

    def join(email: str, consent: dict[str, Any]) -> str:
        return str(call(("/v1/participants", "POST"), body={
            "network_id": network_id,
            "details": {"name": "Alex Example", "email": email, "phone": "0113 496 0000",
                        "postcode": "LS6 2AB"},
            "profile": {"roles": ["patient"], "methods": ["online"], "topics": ["diabetes"]},
            "consent": consent})["participant_id"])

    admin = token_for(ADMIN_KEY)
    network_id = call(("/v1/networks", "POST"), admin, body={"name": "North Example"})[
        "network_id"]
    organisation_id = call(("/v1/organisations", "POST"), admin, body={
        "network_id": network_id, "name": "Example Carers", "kind": "charity",
        "contact_email": "hello@carers.example.org"})["organisation_id"]
    key = call(("/v1/organisations/{organisation_id}/api-keys", "POST"), admin,
               path_parameters={"organisation_id": organisation_id}, body={"label": "tests"})
    staff = token_for(key["api_key"])
    participant_id = join(EMAIL, {"scope": "network"})
    private_id = join(OTHER_EMAIL, {"scope": "organisations",
                                    "organisation_ids": [organisation_id]})
    call(("/v1/auth/participant-code", "POST"), body={"email": EMAIL})
    signed_in = call(("/v1/auth/participant-token", "POST"),
                     body={"email": EMAIL, "code": REGISTRY.codes[participant_id]})
    service = token_for(SERVICE_KEY)
    call(("/internal/v1/participants/{participant_id}/contact", "GET"), service,
         path_parameters={"participant_id": participant_id})
    call(("/internal/v1/organisations/{organisation_id}/contact", "GET"), service,
         path_parameters={"organisation_id": organisation_id})
    call(("/v1/participants/{participant_id}", "GET"), staff,
         path_parameters={"participant_id": private_id})
    tokens = {"anonymous": None, "network_admin": admin, "org_staff": staff,
              "participant": signed_in["access_token"], "service": service}
    known = {"network_id": [network_id], "organisation_id": [organisation_id],
             "participant_id": [participant_id, private_id], "key_id": [key["key_id"]]}
    return Seed(data_dir, tokens, known, answers)


def _settle(client: ASGIClient) -> None:
    """Wait until the relay has published the seed's events and the projections ran, so every
    copy starts idle and alike."""
    deadline = time.monotonic() + 10
    while 'chorus_outbox_lag{service="registry"} 0.0' not in client.get("/metrics").text:
        assert time.monotonic() < deadline, "the relay did not publish the seed's events"
        time.sleep(0.02)
    time.sleep(0.2)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seed:
    """A seeded registry's data, made once and copied for every test."""
    data_dir = tmp_path_factory.mktemp("seed")
    REGISTRY.load(data_dir, None)
    try:
        with ASGIClient(REGISTRY) as client:  # starts the registry's lifespan
            seed = _seed(data_dir)
            served = client.get("/openapi.json").json()
            _settle(client)
        assert served == DOCUMENT, "the document under test is not the one the registry serves"
        return seed
    finally:
        shutdown_lifespans()
        REGISTRY.unload()


@pytest.fixture(params=CALLERS)
def registry_under_test(request: pytest.FixtureRequest, seeded: Seed,
                        tmp_path: Path) -> Iterator[Seed]:
    """A fresh copy of the seeded registry, called as one kind of caller."""
    data_dir = tmp_path / "data"
    shutil.copytree(seeded.data_dir, data_dir)
    REGISTRY.load(data_dir, seeded, request.param)
    try:
        yield seeded
    finally:
        shutdown_lifespans()
        REGISTRY.unload()


every_operation: Callable[[Test], Test] = schema.parametrize()


@every_operation
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
    """The successful answers fuzzing seldom reaches (participants join, keys and codes
    become tokens, a service reads contact details, staff read a person who shares with them)
    are as documented too."""
    assert len(seeded.answers) == 13  # every request `_seed` makes
    for case, response in seeded.answers:
        case.validate_response(response, checks=RESPONSE_CHECKS)
