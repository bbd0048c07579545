"""What the journey tests run against: a real SMTP server, a partner's webhook receiver, and
the region either as separate `chorus serve` processes on Kafka and PostgreSQL (one database
per service) or as `chorus up`, the embedded default, in a child process. Everything started
here is stopped and removed at teardown, whatever happened."""

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller

from chorus.devservers.platform import SERVICES, LocalPlatform
from tests.e2e.journey import Journey, Region
from tests.fixtures.kafka import KafkaBroker
from tests.fixtures.postgres import PostgresServer
from tests.services.notifications.people_support import Mailbox
from tests.services.notifications.webhook_support import Endpoint, Receiver

PORTS = {"registry": 8001, "opportunities": 8002, "feedback": 8003, "notifications": 8004,
         "portal": 8000}
READY_SECONDS = 120.0


@dataclass(frozen=True)
class SmtpServer:
    mailbox: Mailbox
    host: str
    port: int


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on loopback (aiosmtpd) that keeps every message it takes."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield SmtpServer(mailbox, "127.0.0.1", controller.port)
    finally:
        controller.stop()


@pytest.fixture
async def partner() -> AsyncIterator[Endpoint]:
    """The charity's case system: a real HTTP endpoint that verifies every signature."""
    receiver = Receiver()
    await receiver.start()
    try:
        yield receiver.endpoint("chorus-events")
    finally:
        await receiver.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=60) as client:
        yield client


@pytest.fixture
async def platform(tmp_path: Path, kafka_broker: KafkaBroker, postgres_server: PostgresServer,
                   smtp: SmtpServer) -> AsyncIterator[LocalPlatform]:
    """Registry, opportunities, feedback and notifications, each its own `chorus serve`
    process with its own PostgreSQL database, on the session's Kafka broker."""
    run = uuid.uuid4().hex[:8]
    names = {service: f"journey_{run}_{service}" for service in SERVICES}
    try:
        urls = {service: postgres_server.create_database(name) for service, name in names.items()}
        region = LocalPlatform.configure(
            tmp_path / "platform", kafka_bootstrap=kafka_broker.bootstrap_servers,
            database_urls=urls, smtp=(smtp.host, smtp.port), env={"CHORUS_POLL_INTERVAL": "0.1"})
        try:
            await asyncio.to_thread(region.start)
            yield region
        finally:  # all at once: each may take seconds to drain
            await asyncio.gather(*(asyncio.to_thread(process.stop)
                                   for process in region.everything()))
            for process in region.everything():
                print(f"--- {process.service} (last lines) ---\n{process.log_tail(15)}")
    finally:
        for name in names.values():
            postgres_server.drop_database(name)


def region_of(platform: LocalPlatform) -> Region:
    return Region(**{service: platform.url(service) for service in SERVICES},
                  admin_api_key=platform.admin_api_key)


@pytest.fixture
async def embedded(tmp_path: Path, smtp: SmtpServer) -> AsyncIterator[Region]:
    """`chorus up --no-demo` as a user runs it (SQLite and the embedded bus, every service in
    one child process), sending e-mail to the SMTP server."""
    offset = _free_offset()
    admin_key = f"chorus_admin_{secrets.token_urlsafe(24)}"
    env = {name: value for name, value in os.environ.items() if not name.startswith("CHORUS_")}
    env |= {"CHORUS_DATA_DIR": str(tmp_path / "data"), "CHORUS_ADMIN_API_KEY": admin_key,
            "CHORUS_SMTP_HOST": smtp.host, "CHORUS_SMTP_PORT": str(smtp.port),
            "CHORUS_SMTP_STARTTLS": "false", "CHORUS_POLL_INTERVAL": "0.1",
            "CHORUS_LOG_LEVEL": "WARNING", "CHORUS_WEBHOOK_ALLOW_LOOPBACK_HTTP": "true"}
    log = tmp_path / "chorus-up.log"
    child = _chorus_up(offset, env, tmp_path, log)
    try:
        await _banner(child, log)
        yield Region(**{s: f"http://127.0.0.1:{PORTS[s] + offset}" for s in SERVICES},
                     admin_api_key=admin_key)
    finally:
        child.send_signal(signal.SIGINT)
        try:
            await asyncio.to_thread(child.wait, 30)
        except subprocess.TimeoutExpired:
            child.kill()
            await asyncio.to_thread(child.wait, 10)
        print("--- chorus up (last lines) ---\n" + _tail(log, 15))


def _chorus_up(offset: int, env: dict[str, str], cwd: Path,
               log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "chorus.cli", "up", "--no-demo", "--port-offset", str(offset)],
            cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)


async def _banner(child: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while "Press Ctrl+C to stop." not in _tail(log, 1_000):
        assert child.poll() is None, f"chorus up ended while starting:\n{_tail(log, 40)}"
        assert time.monotonic() < deadline, f"chorus up not ready:\n{_tail(log, 40)}"
        await asyncio.sleep(0.2)


def journey_in(region: Region, smtp: SmtpServer, partner: Endpoint, http: httpx.AsyncClient,
               wait: float = 90.0) -> Journey:
    return Journey(region, smtp.mailbox, partner, http, wait=wait)


def _tail(log: Path, lines: int) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _free_offset() -> int:
    """An offset at which all four default ports are free on loopback."""
    for _ in range(100):
        offset = secrets.randbelow(20000) + 20000
        if all(_bindable(port + offset) for port in PORTS.values()):
            return offset
    raise RuntimeError("no free ports for chorus up")


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
