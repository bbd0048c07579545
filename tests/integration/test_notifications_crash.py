"""The notifications service killed with SIGKILL in the middle of e-mailing, and started
again: no event is lost, and nobody gets the same notice twice.

Registry, opportunities and feedback run in this process on real Kafka and PostgreSQL (the
registry also on a loopback port, where notifications asks it for contact details); the
notifications service runs as its own process (`chorus serve notifications`), with its own
PostgreSQL database, sending to a real SMTP server on loopback that takes each message a
little slowly, so that the kill lands while e-mails are going out.
"""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from sqlalchemy import text

from chorus.app import create_app
from chorus.settings import load_settings
from chorus.store import Database
from feedback.bootstrap import service as feedback
from opportunities.bootstrap import service as opportunities
from registry.bootstrap import service as registry
from tests.fixtures.kafka import KafkaBroker
from tests.fixtures.postgres import PostgresServer
from tests.integration.kafka_support import unique
from tests.services.feedback.conftest import FeedbackRegion
from tests.services.notifications.people_support import free_port
from tests.services.registry.conftest import ADMIN_KEY, Registry

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.timeout(300)]

PEOPLE = 24
SMTP_SECONDS = 0.15  # how long the mail server takes over each message


class SlowMailbox:
    """An SMTP handler that takes its time and counts messages per recipient."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.recipients: Counter[str] = Counter()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(SMTP_SECONDS)
        with self.lock:
            self.recipients.update(envelope.rcpt_tos)
        return "250 Message accepted"

    def count(self) -> int:
        with self.lock:
            return sum(self.recipients.values())


class Notifications:
    """`chorus serve notifications` in a child process."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.child: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.child = subprocess.Popen(
            [sys.executable, "-m", "chorus.cli", "serve", "notifications"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kill(self) -> None:
        assert self.child is not None
        self.child.send_signal(signal.SIGKILL)
        self.child.wait(10)

    def stop(self) -> None:
        if self.child is not None and self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)
            try:
                self.child.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


async def until(check: Any, what: str, seconds: float = 90) -> Any:
    deadline = time.monotonic() + seconds
    while not (result := await check()):
        assert time.monotonic() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.1)
    return result


@pytest.fixture
async def platform(kafka_broker: KafkaBroker, postgres_server: PostgresServer,
                   tmp_path: Path) -> AsyncIterator[tuple[FeedbackRegion, Notifications,
                                                          SlowMailbox, Database]]:
    prefix = unique("notify_crash").replace(".", "_")
    for service in ("registry", "opportunities", "feedback", "notifications"):
        postgres_server.create_database(f"{prefix}_{service}")
    database_url = postgres_server.url(f"{prefix}_{{service}}")
    settings = load_settings(transport="kafka", kafka_bootstrap=kafka_broker.bootstrap_servers,
                             database_url=database_url, data_dir=tmp_path, poll_interval=0.2,
                             admin_api_key=ADMIN_KEY)
    mailbox = SlowMailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    registry_port = free_port()
    registry_app, opportunities_app, feedback_app = (
        create_app(s, settings) for s in (registry, opportunities, feedback))
    served = uvicorn.Server(uvicorn.Config(registry_app, host="127.0.0.1", port=registry_port,
                                           log_config=None, lifespan="on"))
    serving = asyncio.create_task(served.serve())
    child = Notifications({
        **os.environ, "CHORUS_TRANSPORT": "kafka",
        "CHORUS_KAFKA_BOOTSTRAP": kafka_broker.bootstrap_servers,
        "CHORUS_DATABASE_URL": database_url, "CHORUS_DATA_DIR": str(tmp_path),
        "CHORUS_PORT": str(free_port()), "CHORUS_POLL_INTERVAL": "0.2",
        "CHORUS_ADMIN_API_KEY": ADMIN_KEY,
        "CHORUS_REGISTRY_URL": f"http://127.0.0.1:{registry_port}",
        "CHORUS_SMTP_HOST": "127.0.0.1", "CHORUS_SMTP_PORT": str(smtp.port),
        "CHORUS_SMTP_STARTTLS": "false", "CHORUS_LOG_LEVEL": "WARNING",
        "CHORUS_MAIL_CLAIM_SECONDS": "3"})  # a claim cut off by the kill lapses quickly
    notifications_db = Database(postgres_server.url(f"{prefix}_notifications"))
    try:
        await until(lambda: asyncio.sleep(0, served.started), "the registry to serve")
        async with opportunities_app.router.lifespan_context(opportunities_app), \
                feedback_app.router.lifespan_context(feedback_app), \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=registry_app),
                                  base_url="http://registry") as registry_http, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=opportunities_app),
                                  base_url="http://opportunities") as http, \
                httpx.AsyncClient(transport=httpx.ASGITransport(app=feedback_app),
                                  base_url="http://feedback") as feedback_http:
            region = FeedbackRegion(Registry(registry_http, registry_app), http,
                                    opportunities_app, feedback_http, feedback_app)
            await region.start()
            child.start()
            yield region, child, mailbox, notifications_db
    finally:
        child.stop()
        await notifications_db.dispose()
        served.should_exit = True
        await serving
        smtp.stop()
        for service in ("registry", "opportunities", "feedback", "notifications"):
            postgres_server.drop_database(f"{prefix}_{service}")


async def notices(db: Database) -> dict[str, list[str]]:
    """The notifications service's notices of the change, by status."""
    found: dict[str, list[str]] = {}
    try:
        async with db.connect() as conn:
            rows = await conn.execute(text(
                "SELECT participant_id, status FROM people_notices "
                "WHERE kind = 'change_made'"))
            for participant_id, status in rows:
                found.setdefault(status, []).append(str(participant_id))
    except Exception:  # the child has not made its tables yet
        return {}
    return found


async def test_killed_mid_delivery_and_restarted_nobody_is_told_twice_and_nothing_is_lost(
        platform: tuple[FeedbackRegion, Notifications, SlowMailbox, Database]) -> None:
    region, child, mailbox, db = platform
    trust, staff = await region.organisation("Leeds Teaching Hospitals")
    people = [await region.person() for _ in range(PEOPLE)]
    await region.known(trust)
    consultation = (await region.open(staff))["consultation_id"]
    responses = [(await region.respond(consultation, headers))["feedback_id"]
                 for _, headers in people]
    made = await region.feedback.post("/v1/changes", json={
        "title": "Clearer discharge letters",
        "what_changed": "Letters now use plain words and list each medicine.",
        "service_area": "discharge", "changed_on": date.today().isoformat(),
        "organisations": [{"organisation_id": trust, "owner": "Head of Patient Experience"}],
        "feedback_ids": responses}, headers=staff)
    assert made.status_code == 201, made.text

    await until(lambda: asyncio.sleep(0, mailbox.count() >= PEOPLE // 3),
                "a third of the e-mails to go out")
    child.kill()
    sent_before_the_kill = mailbox.count()
    assert sent_before_the_kill < PEOPLE, "the kill came too late to prove anything"
    child.start()

    async def all_closed() -> dict[str, list[str]]:
        found = await notices(db)
        closed = sum(len(ids) for status, ids in found.items()
                     if status in ("sent", "uncertain", "skipped", "failed"))
        return found if closed == PEOPLE else {}

    found = await until(all_closed, "every notice to be sent or settled after the restart")
    told = {pid for ids in found.values() for pid in ids}
    assert told == {pid for pid, _ in people}, "a notice was lost"
    assert len(found.get("uncertain", [])) <= 1, found  # at most the one in flight
    assert set(found) <= {"sent", "uncertain"}, found
    await asyncio.sleep(1)  # anything sent twice would arrive by now
    assert max(mailbox.recipients.values()) == 1, "someone was told twice"
    assert sum(mailbox.recipients.values()) >= len(found["sent"])
    assert sum(mailbox.recipients.values()) <= PEOPLE
