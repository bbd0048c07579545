"""One platform for the whole fault suite, started once (about 30 s) and left healthy by
every test: registry, opportunities, feedback and notifications each as its own process with
its own PostgreSQL database, on the session's Kafka broker. The feedback service's database
lives on a PostgreSQL server of its own, so that a test can stop it while the others run on.
Two more notifications instances are configured; the scale-out test starts them.

Every test works in a network of its own, so what one test does never counts in another's
figures."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from chorus.devservers.platform import SERVICES, LocalPlatform
from chorus.devservers.postgres import LocalPostgres, ensure_postgres_installed
from chorus.store import Database
from tests.faults.support import Chorus, PacedMailbox, Partner
from tests.fixtures.kafka import KafkaBroker
from tests.fixtures.postgres import PostgresServer, _reachable_workdir
from tests.services.notifications.people_support import free_port

NOTIFICATIONS_INSTANCES = 3
MAIL_CLAIM_SECONDS = 10  # a notice cut off mid-send by a kill is settled this much later

SETTINGS = {
    # a partner's endpoint is tried again every second for most of a minute
    "CHORUS_WEBHOOK_RETRY_SCHEDULE": ",".join(["0", "0.5", *["1"] * 50]),
    "CHORUS_WEBHOOK_TIMEOUT": "3",
    "CHORUS_MAIL_CLAIM_SECONDS": str(MAIL_CLAIM_SECONDS),
}


@pytest.fixture(scope="package")
def mailbox() -> Iterator[tuple[PacedMailbox, int]]:
    """A real SMTP server on loopback, and its port."""
    handler = PacedMailbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


@pytest.fixture(scope="package")
async def partner() -> AsyncIterator[Partner]:
    """A partner organisation's webhook receiver (verifies signatures, keeps every request)."""
    receiver = Partner()
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


@pytest.fixture(scope="package")
def feedback_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPostgres]:
    """The feedback service's own PostgreSQL server, which a test stops and starts again."""
    bindir = ensure_postgres_installed()
    with _reachable_workdir(tmp_path_factory, "feedback-postgres") as workdir, \
            LocalPostgres.start(workdir, bindir=bindir) as server:
        yield server


@pytest.fixture(scope="package")
async def chorus(kafka_broker: KafkaBroker, postgres_server: PostgresServer,
                 feedback_postgres: LocalPostgres, mailbox: tuple[PacedMailbox, int],
                 tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Chorus]:
    prefix = f"faults_{uuid.uuid4().hex[:8]}"
    servers: dict[str, PostgresServer | LocalPostgres] = {
        service: feedback_postgres if service == "feedback" else postgres_server
        for service in SERVICES}
    urls = {service: server.create_database(f"{prefix}_{service}")
            for service, server in servers.items()}
    workdir: Path = tmp_path_factory.mktemp("platform")
    processes = LocalPlatform.configure(
        workdir, kafka_bootstrap=kafka_broker.bootstrap_servers, database_urls=urls,
        smtp=("127.0.0.1", mailbox[1]), instances={"notifications": NOTIFICATIONS_INSTANCES},
        env=SETTINGS)
    platform = Chorus(processes, {service: Database(url, pool_size=2)
                                  for service, url in urls.items()})
    try:
        await platform.start(platform.usual)
        yield platform
    finally:
        await asyncio.to_thread(processes.stop)
        await platform.close()
        feedback_postgres.start_again()  # in case a test failed while it was stopped
        for service, server in servers.items():
            server.drop_database(f"{prefix}_{service}")


@pytest.fixture(autouse=True)
async def healthy(chorus: Chorus, feedback_postgres: LocalPostgres,
                  mailbox: tuple[PacedMailbox, int]) -> AsyncIterator[None]:
    """Each test starts, and leaves the platform, as usual: the feedback database up, one
    process of each service running and ready, the mail server prompt."""
    await _restore(chorus, feedback_postgres, mailbox[0])
    yield
    await _restore(chorus, feedback_postgres, mailbox[0])


async def _restore(chorus: Chorus, feedback_postgres: LocalPostgres,
                   mailbox: PacedMailbox) -> None:
    mailbox.delay = 0.0
    await asyncio.to_thread(feedback_postgres.start_again)
    extra = [p for p in chorus.processes.everything() if p not in chorus.usual]
    await chorus.stop(extra)
    await chorus.start(chorus.usual)
