"""Registry, opportunities, feedback and notifications together on the embedded default, one
bus, driven through HTTP as clients would, with a real SMTP server on 127.0.0.1 (aiosmtpd)
that keeps every message it is given. The notifications service reaches the registry's
contact route through the registry app in process.

Test modules build the region with `running_region` in a fixture of their own (there is no
conftest here)."""

import asyncio
import email
import email.policy
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from chorus.app import create_app
from chorus.auth import Principal, Role, SigningKey, TokenIssuer
from chorus.envelope import Envelope, from_kafka
from chorus.service import build_bus
from chorus.settings import Settings, load_settings
from chorus.store.schema import inbox, outbox
from feedback.bootstrap import service as feedback
from notifications.bootstrap import service as notifications
from notifications.people.tables import notices, participants
from opportunities.bootstrap import service as opportunities
from registry.bootstrap import service as registry
from tests.services.feedback.conftest import FeedbackRegion
from tests.services.registry.conftest import ADMIN_KEY, Registry

T = TypeVar("T")
Headers = dict[str, str]


@dataclass(frozen=True)
class Received:
    """One message the SMTP server took."""

    recipients: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        body = self.message.get_body(("plain",))
        assert isinstance(body, EmailMessage)
        return str(body.get_content())

    @property
    def html(self) -> str:
        body = self.message.get_body(("html",))
        assert isinstance(body, EmailMessage)
        return str(body.get_content())


class Mailbox:
    """The aiosmtpd handler: keeps what arrives (it runs in the server's own thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[Received] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self._received.append(Received(tuple(envelope.rcpt_tos), message))
        return "250 Message accepted"

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.recipients]

    async def holds(self, count: int) -> list[Received]:
        """Wait until at least `count` messages arrived; all of them."""
        return await eventually(lambda: _at_least(self.received, count),
                                f"{count} e-mail(s) to arrive")


async def _at_least(items: list[Received], count: int) -> list[Received]:
    return items if len(items) >= count else []


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def smtp_server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Mailbox]:
    """A real SMTP server on loopback; the notifications service is pointed at it."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("CHORUS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CHORUS_SMTP_PORT", str(port))
    monkeypatch.setenv("CHORUS_SMTP_STARTTLS", "false")
    try:
        yield mailbox
    finally:
        controller.stop()


async def eventually(check: Callable[[], Awaitable[T]], what: str, tries: int = 200) -> T:
    for _ in range(tries):
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError(f"never happened: {what}")


class PeopleRegion(FeedbackRegion):
    """The four services: `self.notifications` is the notifications API, `self.mail` the SMTP
    server's mailbox."""

    def __init__(self, registry: Registry, http: httpx.AsyncClient, app: Any,
                 feedback: httpx.AsyncClient, feedback_app: Any,
                 notifications: httpx.AsyncClient, notifications_app: Any, mail: Mailbox,
                 settings: Settings) -> None:
        super().__init__(registry, http, app, feedback, feedback_app)
        self.notifications = notifications
        self.notifications_app = notifications_app
        self.mail = mail
        self.settings = settings

    @property
    def people(self) -> Any:
        return self.notifications_app.state.service.people

    async def someone(self, **profile: Any) -> tuple[str, Headers, str]:
        """A participant who allows e-mail: id, signed-in headers, e-mail address."""
        participant_id, headers = await self.person(profile=profile or None)
        return participant_id, headers, f"person{self._emails}@example.org"

    async def known_here(self, *participant_ids: str, status: str = "active") -> None:
        """Wait until the notifications service's directory holds these people so."""
        async def known() -> bool:
            async with self.people.db.snapshot() as tx:
                rows = {str(r.participant_id): r for r in await tx.conn.execute(
                    select(participants))}
            return all(p in rows and rows[p].status == status and rows[p].contact_channels
                       for p in participant_ids)

        await eventually(known, f"notifications knows {participant_ids} as {status}")

    async def organisation_known_here(self, *organisation_ids: str) -> None:
        async def known() -> bool:
            async with self.people.db.snapshot() as tx:
                names = await self.people.directory.organisation_names(
                    tx.conn, [_uuid(o) for o in organisation_ids])
            return len(names) == len(organisation_ids)

        await eventually(known, f"notifications knows {organisation_ids}")

    async def notices_of(self, participant_id: str) -> list[dict[str, Any]]:
        async with self.people.db.snapshot() as tx:
            rows = await tx.conn.execute(select(notices).where(
                notices.c.participant_id == _uuid(participant_id)).order_by(
                notices.c.created_at))
            return [dict(r) for r in rows.mappings()]

    async def public_events(self, event_type: str) -> list[dict[str, Any]]:
        """What the notifications service published of this type, oldest first."""
        async with self.people.db.snapshot() as tx:
            rows = await tx.conn.execute(select(outbox).order_by(outbox.c.id))
            found = [_envelope(r) for r in rows]
        return [dict(e.data) for e in found if e.type == event_type]

    async def feedback_envelope(self, stream_id: str, event_type: str) -> Envelope:
        """The public envelope the feedback service published for this stored event."""
        fb = self.fb.changes
        async with fb.db.snapshot() as tx:
            rows = await tx.conn.execute(select(outbox).where(outbox.c.key == stream_id))
            envelopes = [_envelope(r) for r in rows]
        return next(e for e in envelopes if f".{event_type}." in e.type)

    async def heard_here(self, event_id: str) -> None:
        """Wait until the notifications consumer has taken this event in."""
        async def heard() -> bool:
            async with self.people.db.snapshot() as tx:
                found = (await tx.conn.execute(select(inbox.c.event_id).where(
                    inbox.c.event_id == event_id))).first()
            return found is not None

        await eventually(heard, f"notifications heard {event_id}")

    def service_token(self, service: str) -> Headers:
        """A service token as the registry issues them, for `service`."""
        issuer = TokenIssuer(SigningKey.from_settings(self.settings))
        token = issuer.issue(Principal(subject=f"service:{service}", role=Role.SERVICE,
                                       service=service))
        return {"Authorization": f"Bearer {token}"}


def _envelope(row: Any) -> Envelope:
    headers = [(name, value.encode()) for name, value in row.headers.items()]
    return from_kafka(row.key.encode(), headers, row.value)


def _uuid(value: str) -> Any:
    from uuid import UUID

    return UUID(value)


@asynccontextmanager
async def running_region(tmp_path: Path,
                         monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[PeopleRegion]:
    """The four services and the SMTP server, started; stopped at the end."""
    async with smtp_server(monkeypatch) as mail:
        settings = load_settings(data_dir=tmp_path, poll_interval=0.05,
                                 admin_api_key=ADMIN_KEY)
        bus = build_bus(settings, "chorus-tests")
        await bus.start()
        apps = [create_app(s, settings, bus)
                for s in (registry, opportunities, feedback, notifications)]
        registry_app, opportunities_app, feedback_app, notifications_app = apps
        try:
            async with registry_app.router.lifespan_context(registry_app), \
                    opportunities_app.router.lifespan_context(opportunities_app), \
                    feedback_app.router.lifespan_context(feedback_app), \
                    notifications_app.router.lifespan_context(notifications_app), \
                    _client(registry_app, "registry") as registry_http, \
                    _client(registry_app, "registry") as contacts_http, \
                    _client(opportunities_app, "opportunities") as http, \
                    _client(feedback_app, "feedback") as feedback_http, \
                    _client(notifications_app, "notifications") as notifications_http:
                notifications_app.state.service.people.registry.http = contacts_http
                region = PeopleRegion(Registry(registry_http, registry_app), http,
                                      opportunities_app, feedback_http, feedback_app,
                                      notifications_http, notifications_app, mail, settings)
                await region.start()
                yield region
        finally:
            await bus.stop()


def _client(app: Any, name: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}")
