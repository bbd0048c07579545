"""What the partner webhook tests share: the region in process (registry, opportunities,
feedback and notifications on one embedded bus, driven through HTTP) and a real HTTP
receiver on 127.0.0.1 that verifies every signature, de-duplicates by `webhook-id`, and can
be told to fail, say it is gone, hang or answer slowly."""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from chorus.app import create_app
from chorus.service import build_bus
from chorus.settings import load_settings
from chorus.store.schema import events, outbox
from feedback.bootstrap import service as feedback
from notifications.bootstrap import service as notifications
from opportunities.bootstrap import service as opportunities
from registry.bootstrap import service as registry
from tests.services.feedback.conftest import FeedbackRegion
from tests.services.registry.conftest import ADMIN_KEY, Registry

Headers = dict[str, str]


@dataclass(frozen=True)
class Reply:
    """How an endpoint answers one request."""

    status: int = 200
    delay: float = 0.0  # answer after this many seconds
    hang: bool = False  # never answer (until the receiver stops)


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it."""

    webhook_id: str
    headers: Mapping[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived
    verified_by: tuple[int, ...]  # which of the endpoint's secrets verify it, by index

    @property
    def event(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.body)
        return document


@dataclass
class Endpoint:
    """One partner endpoint of the receiver: a path, its secrets and its script."""

    base: str
    path: str
    secrets: list[str] = field(default_factory=list)
    script: list[Reply] = field(default_factory=list)  # answered first, in turn
    then: Reply = field(default_factory=Reply)  # once the script is spent
    requests: list[Received] = field(default_factory=list)
    hanging: int = 0  # requests it is holding open right now

    @property
    def url(self) -> str:
        return f"{self.base}{self.path}"

    def answer(self, *replies: Reply, then: Reply | None = None) -> None:
        self.script = list(replies)
        if then is not None:
            self.then = then

    def next_reply(self) -> Reply:
        return self.script.pop(0) if self.script else self.then

    @property
    def unique(self) -> list[Received]:
        """The first request of each webhook-id, in the order they arrived."""
        first: dict[str, Received] = {}
        for request in self.requests:
            first.setdefault(request.webhook_id, request)
        return list(first.values())

    def events(self) -> list[dict[str, Any]]:
        return [r.event for r in self.unique]

    def types(self) -> list[str]:
        return [e["type"] for e in self.events()]

    def tries(self, webhook_id: str) -> list[Received]:
        return [r for r in self.requests if r.webhook_id == webhook_id]


def verifies(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    try:
        Webhook(secret).verify(body, dict(headers))
    except WebhookVerificationError:
        return False
    return True


class Receiver:
    """A partner's HTTP server (uvicorn, on 127.0.0.1, a port of its own)."""

    def __init__(self) -> None:
        self.endpoints: dict[str, Endpoint] = {}
        self.released = asyncio.Event()
        self.base = ""
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    def endpoint(self, name: str) -> Endpoint:
        endpoint = Endpoint(self.base, f"/{name}")
        self.endpoints[endpoint.path] = endpoint
        return endpoint

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        endpoint = self.endpoints.get(scope["path"])
        if endpoint is None:
            await _respond(send, 404)
            return
        endpoint.requests.append(Received(
            headers.get("webhook-id", ""), headers, body, time.monotonic(),
            tuple(i for i, s in enumerate(endpoint.secrets) if verifies(s, body, headers))))
        reply = endpoint.next_reply()
        if reply.hang:
            endpoint.hanging += 1
            try:
                await self.released.wait()
            finally:
                endpoint.hanging -= 1
        await asyncio.sleep(reply.delay)
        with suppress(OSError):  # the caller may have given up on a slow answer
            await _respond(send, reply.status)

    async def start(self) -> None:
        config = uvicorn.Config(self, host="127.0.0.1", port=0, lifespan="off", ws="none",
                                http="h11", log_level="warning", access_log=False,
                                timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            assert not self._task.done(), "the receiver did not start"
            await asyncio.sleep(0.01)
        port = self._server.servers[0].sockets[0].getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        self.released.set()
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with suppress(asyncio.CancelledError):
                await self._task


async def _respond(send: Any, status: int) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"thanks" if status < 300 else b"no"})


class WebhookRegion(FeedbackRegion):
    """The four services under test, the receiver, and the steps the tests share."""

    def __init__(self, registry: Registry, http: httpx.AsyncClient, app: Any,
                 feedback: httpx.AsyncClient, feedback_app: Any,
                 notifications: httpx.AsyncClient, notifications_app: Any,
                 receiver: Receiver) -> None:
        super().__init__(registry, http, app, feedback, feedback_app)
        self.notifications = notifications
        self.notifications_app = notifications_app
        self.receiver = receiver

    async def subscribe(self, staff: Headers, endpoint: Endpoint, *event_types: str,
                        **extra: Any) -> dict[str, Any]:
        """A subscription of the staff's organisation to `endpoint`, whose secret the
        receiver then verifies with."""
        response = await self.notifications.post("/v1/subscriptions", json={
            "url": endpoint.url, "event_types": list(event_types or ["*"]), **extra},
            headers=staff)
        assert response.status_code == 201, response.text
        created = dict(response.json())
        endpoint.secrets = [created["secret"]]
        return created

    async def deliveries(self, staff: Headers, subscription_id: str,
                         **params: Any) -> list[dict[str, Any]]:
        response = await self.notifications.get("/v1/deliveries", headers=staff, params={
            "subscription_id": subscription_id, "limit": 100, **params})
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def stored(self, *event_types: str) -> list[dict[str, Any]]:
        """The notifications service's stored events of these types, oldest first."""
        async with self.notifications_app.state.runtime.db.snapshot() as tx:
            rows = (await tx.conn.execute(select(events.c.event_type, events.c.data).where(
                events.c.event_type.in_(event_types)).order_by(events.c.position))).all()
        return [{"type": t, **data} for t, data in rows]

    async def published(self) -> list[dict[str, Any]]:
        """The public events the notifications service has queued (its outbox)."""
        async with self.notifications_app.state.runtime.db.snapshot() as tx:
            rows = (await tx.conn.execute(select(outbox.c.headers, outbox.c.value).order_by(
                outbox.c.id))).all()
        return [{"type": headers["ce_type"], "data": json.loads(value)}
                for headers, value in rows]

    async def everything_stored(self) -> str:
        """Every byte of the notifications service's events and outbox, as text."""
        async with self.notifications_app.state.runtime.db.snapshot() as tx:
            stored = (await tx.conn.execute(select(events.c.data))).scalars().all()
            queued = (await tx.conn.execute(select(outbox.c.value))).scalars().all()
        return json.dumps(stored) + "".join(v.decode() for v in queued)


async def eventually(check: Callable[[], Awaitable[bool]] | Callable[[], bool],
                     within: float = 10.0, what: str = "the condition") -> None:
    """Wait until `check()` holds (it may be async)."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, f"{what} did not hold within {within} s"
        await asyncio.sleep(0.02)


@asynccontextmanager
async def webhook_region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *,
                         schedule: str = "0,0.2,0.2", answer_within: float = 2.0
                         ) -> AsyncIterator[WebhookRegion]:
    """The region, with the retry schedule compressed and a short webhook timeout."""
    monkeypatch.setenv("CHORUS_WEBHOOK_RETRY_SCHEDULE", schedule)
    monkeypatch.setenv("CHORUS_WEBHOOK_TIMEOUT", str(answer_within))
    settings = load_settings(data_dir=tmp_path, poll_interval=0.05, admin_api_key=ADMIN_KEY)
    receiver = Receiver()
    await receiver.start()
    bus = build_bus(settings, "chorus-tests")
    await bus.start()
    apps = [create_app(s, settings, bus)
            for s in (registry, opportunities, feedback, notifications)]
    registry_app, opportunities_app, feedback_app, notifications_app = apps

    def client(app: Any, name: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url=f"http://{name}")

    try:
        async with registry_app.router.lifespan_context(registry_app), \
                opportunities_app.router.lifespan_context(opportunities_app), \
                feedback_app.router.lifespan_context(feedback_app), \
                notifications_app.router.lifespan_context(notifications_app), \
                client(registry_app, "registry") as registry_http, \
                client(opportunities_app, "opportunities") as http, \
                client(feedback_app, "feedback") as feedback_http, \
                client(notifications_app, "notifications") as notifications_http, \
                client(registry_app, "registry") as contacts:
            # the organisation's address, when an endpoint is disabled, comes from the
            # registry in this process
            notifications_app.state.service.webhooks.telling.registry.http = contacts
            region = WebhookRegion(Registry(registry_http, registry_app), http,
                                   opportunities_app, feedback_http, feedback_app,
                                   notifications_http, notifications_app, receiver)
            await region.start()
            yield region
    finally:
        await receiver.stop()
        await bus.stop()
