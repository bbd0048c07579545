"""Schemathesis over the notifications service's OpenAPI document: no 5xx, and every answer as
documented.

Every operation of the document (partner subscriptions and their deliveries, a participant's
preferences and inbox, the registry's sign-in codes, the operations routes) is fuzzed in
process, once for each kind of caller: nobody, the staff of the organisation that owns the
subscriptions, the participant, the network admin, and the registry with its service token.
Schemathesis runs its default phases (examples, coverage, fuzzing) and checks, plus one of our
own: every error is RFC 9457 problem+json. Every case of every phase is sent with the caller's
token (none for nobody), unless it is about the token itself. The answers to the requests that
seed the service are checked too.

The data is seeded once, as in a region: registry, opportunities, feedback and notifications
on one embedded bus (`PeopleRegion` of `people_support`), a network, an NHS trust, a
participant who wants to hear of surveys and chose quiet hours, a consultation they were told
of by e-mail, a sign-in code e-mailed to them, and the trust's subscriptions: one to a partner
endpoint that failed once and then took every delivery (its secret rotated, deliveries
replayed), one to an endpoint that answered 410 and so was disabled, and one deleted. Each
test gets a fresh copy of that data, with the registry beside the notifications service (it
gives out the contact details a sign-in code is e-mailed to). Half of the identifiers
Schemathesis generates are pointed at the seeded records (`NotificationsUnderTest.known`), so
the successful answers are exercised as well as the 404s. Generation is derandomized: a
failure found once is found on every run.

Nothing leaves this machine, DNS included. The partner endpoints are a `Receiver` on
127.0.0.1 (plain http to loopback allowed, `CHORUS_WEBHOOK_ALLOW_LOOPBACK_HTTP`), and e-mail
goes to an SMTP server on 127.0.0.1. Host names in fuzzed subscription URLs are answered by
`StandInDns` instead of the system resolver: 127.0.0.1 for localhost names, one fixed
public-looking address (`PUBLIC_LOOKING`) for every other name, so that URLs such as the
document's own example are accepted as a partner's would be. No delivery is ever made to such
a subscription: deliveries are made only when the service hears an event, and under test no
other service publishes any (the bus is copied fully consumed); replay only resends a
subscription's own deliveries, and only the seeded loopback subscriptions have any. Should
that ever change, the webhook client's network (`LoopbackOnly`) connects to loopback
addresses only: it refuses, and the test fails on, any other.

One default check is off: `positive_data_acceptance`. The service decides more than JSON Schema
can say (an endpoint that resolves to a public address, event types that exist, a replay not
in the future, a code that has not expired), so schema-valid input is rightly refused.
"""

import asyncio
import ipaddress
import json
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import AsyncExitStack, closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpcore
import httpx
import pytest
import schemathesis
from schemathesis import checks
from schemathesis.python.asgi import shutdown_lifespans

from chorus.app import create_app
from chorus.service import build_bus
from chorus.settings import Settings, load_settings
from feedback.bootstrap import service as feedback
from notifications import webhooks
from notifications.bootstrap import service as notifications
from notifications.people.tables import notices
from notifications.webhooks import addresses
from notifications.webhooks.addresses import AddressPolicy, Resolver
from notifications.webhooks.outbound import Outbound
from notifications.webhooks.tables import deliveries
from opportunities.bootstrap import service as opportunities
from registry.bootstrap import service as registry
from tests.services.notifications.people_support import Mailbox, PeopleRegion, smtp_server
from tests.services.notifications.webhook_support import Receiver, Reply
from tests.services.registry.conftest import ADMIN_KEY, Registry
from tests.services.schemathesis_checks import fuzzed_schema, problem_details
from tests.services.schemathesis_support import SeededService, give_every_case_its_caller

CALLERS = ["anonymous", "org_staff", "participant", "network_admin", "registry"]
MAX_EXAMPLES = 5  # per operation and caller, in the fuzzing phase
# How often an idle service's relay, workers and consumers look for work. Seeding needs them
# brisk; the copies under test never look unwoken, and each lets the work of the test's last
# requests finish before it stops.
SEEDING_POLL, TESTING_POLL = 0.05, 60.0  # the longest the settings allow
PUBLIC_LOOKING = "93.184.216.34"  # what every invented host name resolves to
LONDON = ZoneInfo("Europe/London")

# Schemathesis's ASGI client runs the app's event loop in another thread, so a library there
# touching the global `random` while Hypothesis draws a case looks to Hypothesis like a
# strategy using `random`. That warning, and only that one, says nothing about the service.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies"
    ":hypothesis.errors.HypothesisDeprecationWarning")


def _settings(data_dir: Path, poll_interval: float = SEEDING_POLL) -> Settings:
    return load_settings(data_dir=data_dir, poll_interval=poll_interval, admin_api_key=ADMIN_KEY)


class StandInDns:
    """The resolver the service checks webhook URLs with, instead of DNS: this machine for
    localhost names, `PUBLIC_LOOKING` for every other name."""

    async def __call__(self, host: str, port: int) -> list[str]:
        if host == "localhost" or host.endswith(".localhost"):
            return ["127.0.0.1"]
        return [PUBLIC_LOOKING]


class LoopbackOnly(httpcore.AsyncNetworkBackend):
    """The webhook client's network: connections to loopback addresses only. Any other
    address is refused, and kept in `refused` for the test to fail on."""

    def __init__(self) -> None:
        self.network = httpcore.AnyIOBackend()
        self.refused: list[str] = []

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,  # noqa: ASYNC109
                          local_address: str | None = None,
                          socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            self.refused.append(f"{host}:{port}")
            raise httpcore.ConnectError(f"{host} is not this machine: tests stay on loopback")
        return await self.network.connect_tcp(host, port, timeout, local_address,
                                               socket_options)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,  # noqa: ASYNC109
                                  socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
                                  ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("tests connect over loopback TCP only")

    async def sleep(self, seconds: float) -> None:
        await self.network.sleep(seconds)


DNS = StandInDns()
NETWORK = LoopbackOnly()


def loopback_outbound(policy: AddressPolicy, *, resolver: Resolver, **options: Any) -> Outbound:
    """The service's webhook client, on the loopback-only network."""
    return Outbound(policy, resolver=resolver, network_backend=NETWORK, **options)


class ReceiverThread:
    """`webhook_support`'s receiver, served from a thread and event loop of its own, so that it
    answers the seeding region and every copy under test (Schemathesis runs each on an event
    loop of its own)."""

    def __init__(self) -> None:
        self.receiver = Receiver()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="webhook receiver",
                                       daemon=True)

    def start(self) -> Receiver:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.receiver.start(), self.loop).result(10)
        return self.receiver

    def stop(self) -> None:
        if self.thread.is_alive():
            asyncio.run_coroutine_threadsafe(self.receiver.stop(), self.loop).result(10)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
        self.loop.close()


@dataclass
class Loopback:
    """What the service reaches while seeded and under test: the partner endpoints and the
    mail server, both on 127.0.0.1."""

    receiver: Receiver
    mail: Mailbox


@dataclass
class Seed:
    """A seeded region's data directory, every caller's token, and what it holds."""

    data_dir: Path
    tokens: dict[str, str | None]
    known: dict[str, list[str]]
    answers: list[httpx.Response] = field(default_factory=list)  # notifications', seeding


class NotificationsUnderTest(SeededService):
    """The ASGI app Schemathesis calls: the notifications service of the running test.

    Schemathesis (4.32) starts an ASGI app's lifespan on its first request and its pytest
    plugin ends it after every test, so one app loaded with `from_asgi` would restart with
    each test and carry one test's writes into the next; `schemathesis.pytest.from_fixture`
    fails on pytest 9.2. So the document is loaded once, and the app Schemathesis calls is
    this stand-in. Its lifespan starts the test's copy of the seeded region on Schemathesis's
    event loop: the embedded bus, the registry (which the service asks for contact details,
    in process as `people_support` does) and the notifications service. Opportunities and
    feedback run only while seeding: the service hears them, never calls them.
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
        assert self.app is not None, "no notifications service is running for this test"
        await self.app(scope, receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        assert self.data_dir is not None, "no data directory for this test's service"
        await receive()  # lifespan.startup
        async with AsyncExitStack() as running:
            try:
                self.app = await _start(running, _settings(self.data_dir, TESTING_POLL))
            except Exception as error:
                await send({"type": "lifespan.startup.failed", "message": repr(error)})
                raise
            await send({"type": "lifespan.startup.complete"})
            await receive()  # lifespan.shutdown
            await _finished(self.data_dir)
            self.app = None
        await send({"type": "lifespan.shutdown.complete"})


async def _start(running: AsyncExitStack, settings: Settings) -> Any:
    """The bus, the registry and the notifications service of a copy under test; the
    notifications app."""
    bus = build_bus(settings, "chorus-tests")
    await bus.start()
    running.push_async_callback(bus.stop)
    registry_app = create_app(registry, settings, bus)
    notifications_app = create_app(notifications, settings, bus)
    await running.enter_async_context(registry_app.router.lifespan_context(registry_app))
    contacts = await running.enter_async_context(_client(registry_app, "registry"))
    await running.enter_async_context(
        notifications_app.router.lifespan_context(notifications_app))
    notifications_app.state.service.people.registry.http = contacts
    notifications_app.state.service.webhooks.telling.registry.http = contacts
    return notifications_app


def _client(app: Any, name: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")


with tempfile.TemporaryDirectory() as _nowhere:  # the document needs no running service
    DOCUMENT = create_app(notifications, _settings(Path(_nowhere))).openapi()

NOTIFICATIONS = NotificationsUnderTest()
schema = fuzzed_schema(DOCUMENT, NOTIFICATIONS, MAX_EXAMPLES)
give_every_case_its_caller(schema, NOTIFICATIONS)



Test = Callable[[Any], None]


@schemathesis.python.constants
def _route_literals() -> tuple[str, ...]:
    # What `from_asgi` would reuse from the handlers' source, had it loaded the app itself.
    return ("notifications.webhooks.api", "notifications.people.api")


def _ok(response: httpx.Response) -> Any:
    assert response.status_code < 300, (
        f"{response.request.method} {response.request.url.path}: {response.status_code} "
        f"{response.text}")
    return response.json() if response.content else None


def _bearer(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


async def _seed(region: PeopleRegion, loopback: Loopback, data_dir: Path
                ) -> tuple[dict[str, str | None], dict[str, list[str]]]:
    """What a network holds after a partner has subscribed and a participant was told things:
    see the module's docstring."""
    http = region.notifications
    trust, staff = await region.organisation()
    admin = await region.registry.admin()
    registry_service = region.service_token("registry")
    await region.organisation_known_here(trust)

    partner = loopback.receiver.endpoint("partner")
    partner.answer(Reply(status=500))  # the first delivery fails once, then all go through
    gone = loopback.receiver.endpoint("gone")
    gone.answer(then=Reply(status=410))
    subscribed = _ok(await http.post("/v1/subscriptions", headers=staff, json={
        "url": partner.url, "event_types": ["chorus.registry.*", "*.ConsultationOpened.*"],
        "description": "Patient experience dashboard"}))["subscription_id"]
    disabled = _ok(await http.post("/v1/subscriptions", headers=staff, json={
        "url": gone.url, "event_types": ["chorus.registry.ParticipantJoined.v1"]}
    ))["subscription_id"]

    participant, signed_in, _ = await region.someone(kinds_wanted=["survey"])
    await region.known(trust)
    await region.known_here(participant)
    local = datetime.now(UTC).astimezone(LONDON)  # quiet hours that hold nothing back today
    _ok(await http.put(f"/v1/participants/{participant}/notification-preferences",
                       headers=signed_in, json={"frequency": "immediate", "quiet_hours": {
                           "start": (local + timedelta(hours=6)).strftime("%H:%M"),
                           "end": (local + timedelta(hours=7)).strftime("%H:%M")}}))
    await region.open(staff, audience="network", title="Visiting hours")
    _ok(await http.post("/internal/v1/sign-in-codes", headers=registry_service, json={
        "participant_id": participant, "code": "482913",
        "expires_at": (datetime.now(UTC) + timedelta(minutes=10)).isoformat()}))
    await region.mail.holds(2)  # the consultation's notice and the sign-in code
    await _settle(data_dir)

    path = f"/v1/subscriptions/{subscribed}"
    _ok(await http.post(f"{path}/rotate-secret", headers=staff, json={"overlap_seconds": 3600}))
    log = _ok(await http.get("/v1/deliveries", headers=staff,
                             params={"subscription_id": subscribed, "limit": 100}))["items"]
    delivered = [d["delivery_id"] for d in log]
    assert len(delivered) >= 3 and {d["status"] for d in log} == {"delivered"}, log
    _ok(await http.post(f"{path}/replay", headers=staff, json={"delivery_id": delivered[-1]}))
    _ok(await http.post(f"{path}/replay", headers=admin, json={
        "since": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}))
    retired = _ok(await http.post("/v1/subscriptions", headers=admin, json={
        "url": partner.url, "event_types": ["chorus.feedback.ChangeMade.v1"],
        "organisation_id": trust}))["subscription_id"]
    _ok(await http.delete(f"/v1/subscriptions/{retired}", headers=admin))
    await _settle(data_dir)

    _ok(await http.get("/v1/subscriptions", headers=staff))
    _ok(await http.get("/v1/subscriptions", headers=admin, params={"organisation_id": trust}))
    _ok(await http.get(path, headers=staff))
    assert _ok(await http.get(f"/v1/subscriptions/{disabled}", headers=admin))["disabled"]
    _ok(await http.get("/v1/deliveries", headers=admin,
                       params={"subscription_id": disabled, "status": "failed"}))
    _ok(await http.get("/v1/deliveries", headers=staff, params={
        "subscription_id": subscribed, "since": (datetime.now(UTC) - timedelta(hours=1))
        .isoformat()}))
    _ok(await http.get(f"/v1/participants/{participant}/notification-preferences",
                       headers=signed_in))
    inbox = _ok(await http.get(f"/v1/participants/{participant}/notifications",
                               headers=signed_in))
    assert {n["kind"] for n in inbox["items"]} == {"consultation_opened", "sign_in_code"}, inbox

    tokens = {"anonymous": None, "org_staff": _bearer(staff), "participant": _bearer(signed_in),
              "network_admin": _bearer(admin), "registry": _bearer(registry_service)}
    known = {"network_id": [region.network_id], "organisation_id": [trust],
             "participant_id": [participant], "subscription_id": [subscribed, disabled],
             "delivery_id": delivered}
    return tokens, known


NOTIFICATIONS_UNFINISHED = [
    "SELECT count(*) FROM outbox WHERE published_at IS NULL",
    f"SELECT count(*) FROM {deliveries.name} WHERE status = 'pending'",
    f"SELECT count(*) FROM {notices.name} WHERE status IN ('pending', 'sending')"]


def _unfinished(data_dir: Path, notifications_only: bool = False) -> list[str]:
    """What the region (or only the notifications service) still has to do: events to publish
    or consume, webhooks to deliver, e-mail to send."""
    behind = ("SELECT count(*) FROM bus_log WHERE topic = '{topic}' AND \"offset\" > (SELECT"
              " coalesce(max(\"offset\"), 0) FROM bus_offsets WHERE \"group\" ="
              " 'chorus.notifications' AND topic = '{topic}')")
    queries = {"notifications.db": NOTIFICATIONS_UNFINISHED}
    if not notifications_only:
        queries |= {f"{name}.db": ["SELECT count(*) FROM outbox WHERE published_at IS NULL"]
                    for name in ("registry", "opportunities", "feedback")}
        queries["bus.db"] = [behind.format(topic=f"chorus.{name}.events")
                             for name in ("registry", "opportunities", "feedback")]
    unfinished = []
    for database, checks_ in queries.items():
        with closing(sqlite3.connect(data_dir / database, timeout=5)) as db:
            unfinished += [f"{database}: {q}" for q in checks_ if db.execute(q).fetchone()[0]]
    return unfinished


async def _finished(data_dir: Path) -> None:
    """Wait until the service has delivered, sent and published what the test's requests
    asked for, and the batches that did so have ended, so stopping it cancels none mid-way."""
    deadline = time.monotonic() + 10
    while True:
        while unfinished := _unfinished(data_dir, notifications_only=True):
            assert time.monotonic() < deadline, f"the service did not finish: {unfinished}"
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # the batches that found nothing left to do end too
        if not _unfinished(data_dir, notifications_only=True):
            return


async def _settle(data_dir: Path) -> None:
    """Wait until every event of the seed is published and consumed, every delivery made and
    every e-mail sent, so every copy starts idle and alike."""
    deadline = time.monotonic() + 15
    while unfinished := _unfinished(data_dir):
        assert time.monotonic() < deadline, f"the region did not settle: {unfinished}"
        await asyncio.sleep(0.02)


@pytest.fixture(scope="module")
async def loopback() -> AsyncIterator[Loopback]:
    """The partner endpoints and the mail server on 127.0.0.1, and the service's settings
    and stand-ins for the network (see the module's docstring), for the whole module."""
    receiver = ReceiverThread()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(addresses, "system_resolver", DNS)
        patch.setattr(webhooks, "Outbound", loopback_outbound)
        patch.setenv("CHORUS_WEBHOOK_ALLOW_LOOPBACK_HTTP", "true")
        patch.setenv("CHORUS_WEBHOOK_RETRY_SCHEDULE", "0,0.2")
        patch.setenv("CHORUS_WEBHOOK_TIMEOUT", "2")
        patch.setenv("CHORUS_REGISTRY_URL", "http://127.0.0.1:9")  # the registry in process
        try:
            async with smtp_server(patch) as mail:
                yield Loopback(receiver.start(), mail)
        finally:
            receiver.stop()


@pytest.fixture(scope="module")
async def seeded(loopback: Loopback,
                 tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Seed]:
    """A seeded region's data, made once and copied for every test."""
    data_dir = tmp_path_factory.mktemp("seed")
    settings = _settings(data_dir)
    bus = build_bus(settings, "chorus-tests")
    await bus.start()
    apps = [create_app(s, settings, bus)
            for s in (registry, opportunities, feedback, notifications)]
    registry_app, opportunities_app, feedback_app, notifications_app = apps
    answers: list[httpx.Response] = []

    async def keep(response: httpx.Response) -> None:
        await response.aread()
        answers.append(response)

    try:
        async with AsyncExitStack() as running:
            for app in apps:
                await running.enter_async_context(app.router.lifespan_context(app))
            registry_http, contacts, http, feedback_http = [
                await running.enter_async_context(_client(app, name)) for app, name in (
                    (registry_app, "registry"), (registry_app, "registry"),
                    (opportunities_app, "opportunities"), (feedback_app, "feedback"))]
            notifications_http = await running.enter_async_context(httpx.AsyncClient(
                transport=httpx.ASGITransport(app=notifications_app),
                base_url="http://notifications", event_hooks={"response": [keep]}))
            notifications_app.state.service.people.registry.http = contacts
            notifications_app.state.service.webhooks.telling.registry.http = contacts
            region = PeopleRegion(Registry(registry_http, registry_app), http,
                                  opportunities_app, feedback_http, feedback_app,
                                  notifications_http, notifications_app, loopback.mail,
                                  settings)
            await region.start()
            tokens, known = await _seed(region, loopback, data_dir)
            served = (await notifications_http.get("/openapi.json")).json()
            answers.pop()  # the document itself, not an answer it describes
            await _settle(data_dir)
    finally:
        await bus.stop()
    assert served == DOCUMENT, "the document under test is not the one the service serves"
    yield Seed(data_dir, tokens, known, answers)


@pytest.fixture(params=CALLERS)
def notifications_under_test(request: pytest.FixtureRequest, seeded: Seed,
                             tmp_path: Path) -> Iterator[Seed]:
    """A fresh copy of the seeded region, called as one kind of caller."""
    data_dir = tmp_path / "data"
    shutil.copytree(seeded.data_dir, data_dir)
    NOTIFICATIONS.load(data_dir, seeded, request.param)
    try:
        yield seeded
    finally:
        shutdown_lifespans()
        NOTIFICATIONS.unload()
    assert not NETWORK.refused, f"the service tried to reach {NETWORK.refused}"


every_operation: Callable[[Test], Test] = schema.parametrize()


@every_operation
@pytest.mark.usefixtures("notifications_under_test")
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
    """The successful answers fuzzing seldom reaches (subscribing, rotating a secret,
    replaying one delivery and every delivery since a time, deleting, the delivery log, a
    disabled subscription, choosing preferences, the inbox, a sign-in code sent) are as
    documented too."""
    assert len(seeded.answers) == 18  # every request `_seed` makes of notifications
    for response in seeded.answers:
        _case(response).validate_response(response, checks=RESPONSE_CHECKS)

