"""Schemathesis over the feedback service's OpenAPI document: no 5xx, and every answer as
documented.

Every operation of the document is fuzzed in process, once for each kind of caller (nobody, the
staff of the organisation that runs the consultations, a participant who responded and shared a
story, the network admin), with Schemathesis's default phases (examples, coverage, fuzzing) and
checks, plus one of our own: every error is RFC 9457 problem+json. Every case of every phase is
sent with the caller's token (none for nobody), unless it is about the token itself. The
answers to the requests that seed the service are checked too.

The data is seeded once, as in a region: registry, opportunities and feedback on one embedded
bus (`FeedbackRegion` of this package's conftest, with its steps), a network, an NHS trust, a
participant, an open public consultation with a signed-in and an anonymous response, a closed
network consultation with a response, its summary and its outcome, a published story the trust
answered, a change linking those voices, and the learning drawn from it. Each test gets a fresh
copy of that data, so no test sees another's writes. Half of the identifiers Schemathesis
generates (those with an even UUID) are pointed at the seeded records (the open or the closed
consultation, the signed-in or the anonymous response; the consultations' question ids too), so
the successful answers are exercised as well as the 404s. Generation is derandomized: a failure
found once is found on every run.

An anonymous caller may submit only 20 responses and stories an hour (each test's service starts
with a fresh allowance); beyond that the answer is a 429 problem+json, a right answer that the
document, like every other, has to declare.

One default check is off: `positive_data_acceptance`. The service decides more than JSON Schema
can say (a closing date within a year, answers that fit the consultation's questions, links to
this network's voices, an organisation that belongs to the network), so schema-valid input is
rightly refused.
"""

import asyncio
import json
import shutil
import sqlite3
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, closing
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
import schemathesis
from schemathesis import checks
from schemathesis.python.asgi import shutdown_lifespans

from chorus.app import create_app
from chorus.service import build_bus
from chorus.settings import Settings, load_settings
from feedback.bootstrap import service as feedback
from opportunities.bootstrap import service as opportunities
from registry.bootstrap import service as registry
from tests.services.feedback.conftest import CLEAR, RATING, READERS, WORDS, FeedbackRegion
from tests.services.registry.conftest import ADMIN_KEY, Registry
from tests.services.schemathesis_checks import fuzzed_schema, problem_details
from tests.services.schemathesis_support import SeededService, give_every_case_its_caller

CALLERS = ["anonymous", "org_staff", "participant", "network_admin"]
MAX_EXAMPLES = 5  # per operation and caller, in the fuzzing phase
# How often an idle service's relay and projections look for work. Seeding needs them brisk.
# Under test every commit wakes them anyway, and each look is a short write transaction: the
# kernel stalls its shutdown for SQLite's 30 s busy timeout when it cancels one mid-way (a
# reported bug), so the copies under test never look unwoken, and each service lets the work
# of the test's last requests finish before it stops.
SEEDING_POLL, TESTING_POLL = 0.05, 60.0  # the longest the settings allow

# Schemathesis's ASGI client runs the app's event loop in another thread, so a library there
# touching the global `random` while Hypothesis draws a case looks to Hypothesis like a
# strategy using `random`. That warning, and only that one, says nothing about the service.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies"
    ":hypothesis.errors.HypothesisDeprecationWarning")


def _settings(data_dir: Path, poll_interval: float = SEEDING_POLL) -> Settings:
    return load_settings(data_dir=data_dir, poll_interval=poll_interval, admin_api_key=ADMIN_KEY)


@dataclass
class Seed:
    """A seeded region's data directory, every caller's token, and what it holds."""

    data_dir: Path
    tokens: dict[str, str | None]
    known: dict[str, list[str]]
    answers: list[httpx.Response] = field(default_factory=list)  # feedback's, while seeding


class FeedbackUnderTest(SeededService):
    """The ASGI app Schemathesis calls: the feedback service of the running test.

    Schemathesis (4.32) starts an ASGI app's lifespan on its first request and its pytest
    plugin ends it after every test, so one app loaded with `from_asgi` would restart with
    each test and carry one test's writes into the next; `schemathesis.pytest.from_fixture`
    fails on pytest 9.2. So the document is loaded once, and the app Schemathesis calls is
    this stand-in. Its lifespan starts the test's copy of the seeded region as the conftest's
    `region` does, on Schemathesis's event loop: the embedded bus, then the feedback service
    (registry and opportunities only while seeding: feedback hears them, never calls them).
    """

    def __init__(self) -> None:
        self.data_dir: Path | None = None
        self.seed: Seed | None = None
        self.caller = "anonymous"
        self.app: Any = None

    def load(self, data_dir: Path, seed: Seed, caller: str) -> None:
        self.data_dir, self.seed, self.caller = data_dir, seed, caller

    def unload(self) -> None:
        self.data_dir, self.seed, self.caller, self.app = None, None, "anonymous", None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        assert self.app is not None, "no feedback service is running for this test"
        await self.app(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        assert self.data_dir is not None, "no data directory for this test's service"
        await receive()  # lifespan.startup
        async with AsyncExitStack() as running:
            try:
                settings = _settings(self.data_dir, TESTING_POLL)
                bus = build_bus(settings, "chorus-tests")
                await bus.start()
                running.push_async_callback(bus.stop)
                app = create_app(feedback, settings, bus)
                await running.enter_async_context(app.router.lifespan_context(app))
                self.app = app
            except Exception as error:
                await send({"type": "lifespan.startup.failed", "message": repr(error)})
                raise
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
            await _finished(self.data_dir)
            self.app = None
        await send({"type": "lifespan.shutdown.complete"})


with tempfile.TemporaryDirectory() as _nowhere:  # the document needs no running service
    DOCUMENT = create_app(feedback, _settings(Path(_nowhere))).openapi()

FEEDBACK = FeedbackUnderTest()
schema = fuzzed_schema(DOCUMENT, FEEDBACK, MAX_EXAMPLES)
give_every_case_its_caller(schema, FEEDBACK)




@schema.hook
def map_headers(context: Any, headers: dict[str, Any] | None) -> Any:
    # Where signing in is optional, the document offers `authorization` as a header anyone may
    # send; a generated value would only make every case a bad token's 401. Each caller
    # presents its own token (see `give_every_case_its_caller`), and the anonymous caller none.
    if not headers or context.operation is None or not _optional_sign_in(context.operation):
        return headers
    return {name: value for name, value in headers.items() if name.lower() != "authorization"}


def _optional_sign_in(operation: Any) -> bool:
    return any(parameter.get("in") == "header" and parameter.get("name", "").lower()
               == "authorization" for parameter in operation.definition.raw.get("parameters", []))


@schemathesis.python.constants
def _route_literals() -> str:
    # What `from_asgi` would reuse from the handlers' source, had it loaded the app itself.
    return "feedback.api"


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, (
        f"{response.request.method} {response.request.url.path}: {response.status_code} "
        f"{response.text}")
    return response.json()


async def _seed(region: FeedbackRegion) -> tuple[dict[str, str | None], dict[str, list[str]]]:
    """What a network holds after a few weeks of feedback: see the module's docstring."""
    http = region.feedback
    trust, staff = await region.organisation()
    await region.known(trust)
    participant, signed_in = await region.person()
    admin = await region.registry.admin()
    await _heard_of(region, participant)

    opened = (await region.open(staff))["consultation_id"]
    mine = (await region.respond(opened, signed_in, clear="No", rating=2,
                                 words="My carer could not follow it.",
                                 readers=["Me", "My carer"]))["feedback_id"]
    anonymous = (await region.respond(opened, clear="Partly",
                                      words="The medicines list was confusing."))["feedback_id"]
    _ok(await http.put(f"/v1/feedback/{anonymous}/tags", json={"tags": ["medicines"]},
                       headers=staff))
    _ok(await http.get(f"/v1/feedback/{mine}", headers=signed_in))
    _ok(await http.get(f"/v1/consultations/{opened}/feedback", headers=staff))

    closed = (await region.open(staff, audience="network", stage="evaluation",
                                title="Visiting hours"))["consultation_id"]
    heard = (await region.respond(closed, signed_in, clear="Yes", rating=5,
                                  words="Longer evening hours helped."))["feedback_id"]
    _ok(await http.post(f"/v1/consultations/{closed}/close", headers=staff))
    _ok(await http.post(f"/v1/consultations/{closed}/outcome", headers=staff, json={
        "you_said": "Evening visits matter.", "we_did": "We kept the longer hours."}))

    story = _ok(await http.post("/v1/stories", headers=signed_in, json={
        "organisation_ids": [trust], "service_area": "maternity", "title": "Night shift",
        "text": "The night nurse was kind and explained everything."}))["story_id"]
    _ok(await http.post(f"/v1/stories/{story}/moderate", json={"decision": "publish"},
                        headers=admin))
    _ok(await http.post(f"/v1/stories/{story}/responses", headers=staff,
                        json={"response": "Thank you. We shared this with the ward team."}))

    change = _ok(await http.post("/v1/changes", headers=staff, json={
        "title": "Longer visiting hours", "what_changed": "Visiting runs until 9pm.",
        "service_area": "wards", "changed_on": date.today().isoformat(),
        "organisations": [{"organisation_id": trust, "owner": "Head of Patient Experience",
                           "status": "in_progress"}],
        "consultation_ids": [closed], "feedback_ids": [heard, mine],
        "story_ids": [story]}))["change_id"]
    _ok(await http.patch(f"/v1/changes/{change}", json={"status": "done"}, headers=staff))
    _ok(await http.post("/v1/learning", headers=staff, json={
        "title": "Ask about evenings", "summary": "Carers visit after work.",
        "tags": ["visiting"], "change_ids": [change], "consultation_ids": [closed]}))

    await region.caught_up()
    network = region.network_id
    _ok(await http.get(f"/v1/participants/{participant}/changes", headers=signed_in))
    _ok(await http.get("/v1/learning", params={"q": "evening"}))
    _ok(await http.get(f"/v1/metrics/organisations/{trust}", headers=staff))
    _ok(await http.get(f"/v1/metrics/networks/{network}", headers=admin))

    tokens = {"anonymous": None, "org_staff": staff["Authorization"].removeprefix("Bearer "),
              "participant": signed_in["Authorization"].removeprefix("Bearer "),
              "network_admin": admin["Authorization"].removeprefix("Bearer ")}
    known = {"network_id": [network], "organisation_id": [trust],
             "participant_id": [participant], "invited_participant_id": [participant],
             "consultation_id": [opened, closed], "feedback_id": [mine, anonymous],
             "question_id": [CLEAR, RATING, WORDS, READERS], "story_id": [story],
             "change_id": [change]}
    return tokens, known


async def _heard_of(region: FeedbackRegion, participant_id: str) -> None:
    """Wait until registry's event about this participant has reached feedback."""
    from sqlalchemy import select

    from feedback.tables import participants
    deadline = time.monotonic() + 10
    while True:
        async with region.fb.consultations.db.snapshot() as tx:
            found = (await tx.conn.execute(select(participants.c.participant_id).where(
                participants.c.participant_id == UUID(participant_id)))).first()
        if found is not None:
            return
        assert time.monotonic() < deadline, "feedback never heard of the participant"
        await asyncio.sleep(0.05)


FEEDBACK_UNFINISHED = [
    "SELECT count(*) FROM outbox WHERE published_at IS NULL",
    "SELECT count(*) FROM projection_positions"
    " WHERE position < (SELECT max(position) FROM events)"]


def _unfinished(data_dir: Path, feedback_only: bool = False) -> list[str]:
    """What the region (or only feedback) still has to do: events to publish, consume or
    project."""
    behind = ("SELECT count(*) FROM bus_log WHERE topic = '{topic}' AND \"offset\" > (SELECT"
              " coalesce(max(\"offset\"), 0) FROM bus_offsets WHERE \"group\" ="
              " 'chorus.feedback' AND topic = '{topic}')")
    queries = {
        "registry.db": ["SELECT count(*) FROM outbox WHERE published_at IS NULL"],
        "opportunities.db": ["SELECT count(*) FROM outbox WHERE published_at IS NULL"],
        "feedback.db": FEEDBACK_UNFINISHED,
        "bus.db": [behind.format(topic="chorus.registry.events"),
                   behind.format(topic="chorus.opportunities.events")]}
    if feedback_only:
        queries = {"feedback.db": FEEDBACK_UNFINISHED}
    unfinished = []
    for database, checks_ in queries.items():
        with closing(sqlite3.connect(data_dir / database, timeout=5)) as db:
            unfinished += [f"{database}: {q}" for q in checks_ if db.execute(q).fetchone()[0]]
    return unfinished


async def _finished(data_dir: Path) -> None:
    """Wait until the service has published and projected what the test's requests stored,
    and the batches that did so have ended, so stopping it cancels none mid-way."""
    deadline = time.monotonic() + 10
    while True:
        while _unfinished(data_dir, feedback_only=True):
            assert time.monotonic() < deadline, "the service did not finish its work"
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # the batches that found nothing left to do end too
        if not _unfinished(data_dir, feedback_only=True):
            return


async def _settle(data_dir: Path) -> None:
    """Wait until every event of the seed is published, consumed and projected, so every copy
    starts idle and alike."""
    deadline = time.monotonic() + 15
    while unfinished := _unfinished(data_dir):
        assert time.monotonic() < deadline, f"the region did not settle: {unfinished}"
        await asyncio.sleep(0.02)


@pytest.fixture(scope="module")
async def seeded(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Seed]:
    """A seeded region's data, made once and copied for every test: the conftest's `region`,
    made here once for the module (that fixture is made afresh for every test)."""
    data_dir = tmp_path_factory.mktemp("seed")
    settings = _settings(data_dir)
    bus = build_bus(settings, "chorus-tests")
    await bus.start()
    registry_app, opportunities_app, feedback_app = (
        create_app(s, settings, bus) for s in (registry, opportunities, feedback))
    answers: list[httpx.Response] = []

    async def keep(response: httpx.Response) -> None:
        await response.aread()
        answers.append(response)

    try:
        async with registry_app.router.lifespan_context(registry_app), \
                opportunities_app.router.lifespan_context(opportunities_app), \
                feedback_app.router.lifespan_context(feedback_app), \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=registry_app),
                                  base_url="http://registry") as registry_http, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=opportunities_app),
                                  base_url="http://opportunities") as http, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=feedback_app),
                                  base_url="http://feedback",
                                  event_hooks={"response": [keep]}) as feedback_http:
            region = FeedbackRegion(Registry(registry_http, registry_app), http,
                                    opportunities_app, feedback_http, feedback_app)
            await region.start()
            tokens, known = await _seed(region)
            served = (await feedback_http.get("/openapi.json")).json()
            answers.pop()  # the document itself, not an answer it describes
            await _settle(data_dir)
    finally:
        await bus.stop()
    assert served == DOCUMENT, "the document under test is not the one the service serves"
    yield Seed(data_dir, tokens, known, answers)


@pytest.fixture(params=CALLERS)
def feedback_under_test(request: pytest.FixtureRequest, seeded: Seed,
                        tmp_path: Path) -> Iterator[Seed]:
    """A fresh copy of the seeded region, called as one kind of caller."""
    data_dir = tmp_path / "data"
    shutil.copytree(seeded.data_dir, data_dir)
    FEEDBACK.load(data_dir, seeded, request.param)
    try:
        yield seeded
    finally:
        shutdown_lifespans()
        FEEDBACK.unload()


@schema.parametrize()
@pytest.mark.usefixtures("feedback_under_test")
def test_operation(case: Any) -> None:
    case.call_and_validate()


RESPONSE_CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
                   checks.content_type_conformance, checks.response_schema_conformance,
                   checks.response_headers_conformance, problem_details]


def _case(response: httpx.Response) -> Any:
    """The Schemathesis case of a request made while seeding."""
    request = response.request
    operation = schema.find_operation_by_path(request.method, request.url.path)
    assert operation is not None, f"{request.method} {request.url.path} is not documented"
    template, actual = operation.path.split("/"), request.url.path.split("/")
    path_parameters = {name[1:-1]: value for name, value in zip(template, actual, strict=True)
                       if name.startswith("{")}
    parts: dict[str, Any] = {"path_parameters": path_parameters,
                             "query": dict(request.url.params),
                             "headers": {name: value for name, value in request.headers.items()
                                         if name.lower() == "authorization"}}
    if request.content:
        parts["body"] = json.loads(request.content)
    return operation.Case(**{name: part for name, part in parts.items() if part})


def test_seeding_answers(seeded: Seed) -> None:
    """The successful answers fuzzing seldom reaches (opening, responding signed in and
    anonymously, tagging, closing with a summary, publishing an outcome, sharing, moderating
    and answering a story, making a change and moving it on, sharing learning, reading the
    metrics) are as documented too."""
    assert len(seeded.answers) == 20  # every request `_seed` makes of feedback
    for response in seeded.answers:
        _case(response).validate_response(response, checks=RESPONSE_CHECKS)
