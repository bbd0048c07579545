"""What the fault tests share: the four services as separate processes (`chorus serve`) on
real Kafka and PostgreSQL, driven through HTTP as a region's clients would; a partner's
webhook receiver that can be taken down and brought back on the same address; and a mail
server that keeps what it is given. Effects are counted in each service's own database,
read-only, as an operator would look."""

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, TypeVar

import httpx
import uvicorn
from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.partitioner.default import murmur2
from sqlalchemy import text

from chorus.devservers.platform import LocalPlatform, ServiceProcess
from chorus.store import Database
from tests.services.notifications.people_support import Mailbox
from tests.services.notifications.webhook_support import Receiver

T = TypeVar("T")
Headers = dict[str, str]

READY_SECONDS = 180.0  # generous: CI machines are busy, and a start under load is slow
NOTIFICATIONS_GROUP = "chorus.notifications"


async def until(check: Callable[[], Awaitable[T | None]], what: str, within: float = 60.0,
                every: float = 0.2) -> T:
    """Wait until `check()` gives something truthy and return it; fail after `within` s."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within:.0f} s: {what}")
        await asyncio.sleep(every)


async def until_true(condition: Callable[[], bool], what: str, within: float = 60.0,
                     every: float = 0.05) -> None:
    """Wait until `condition()` holds (something in this process: no I/O to await)."""
    async def holds() -> bool:
        return condition()

    await until(holds, what, within, every)


class PacedMailbox(Mailbox):
    """The SMTP server's handler: keeps every message; each takes `delay` seconds, so that a
    kill can land while e-mails are going out."""

    delay = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)

    def counted(self, about: str) -> Counter[tuple[str, str]]:
        """How many e-mails each (recipient, subject) got, of those whose subject has
        `about` in it."""
        return Counter((recipient, r.subject) for r in self.received if about in r.subject
                       for recipient in r.recipients)


class Partner(Receiver):
    """The partner's receiver, on one address for good: `down()` stops it, so that
    connections are refused, and `up()` serves again on the same port."""

    def __init__(self) -> None:
        super().__init__()
        self.port = 0

    async def start(self) -> None:
        config = uvicorn.Config(self, host="127.0.0.1", port=self.port, lifespan="off",
                                ws="none", http="h11", log_level="warning", access_log=False,
                                timeout_graceful_shutdown=1)
        server = self._server = uvicorn.Server(config)
        task = self._task = asyncio.create_task(server.serve())
        while not server.started:
            assert not task.done(), "the partner's receiver did not start"
            await asyncio.sleep(0.01)
        self.port = server.servers[0].sockets[0].getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"

    async def down(self) -> None:
        await self.stop()
        self.released = asyncio.Event()

    async def up(self) -> None:
        await self.start()


class Chorus:
    """The platform as its clients and its operators see it."""

    def __init__(self, processes: LocalPlatform, databases: Mapping[str, Database]) -> None:
        self.processes = processes
        self.databases = databases
        self.http = httpx.AsyncClient(timeout=30)

    def url(self, service: str, instance: int = 0) -> str:
        return self.processes.url(service, instance)

    def process(self, service: str, instance: int = 0) -> ServiceProcess:
        return self.processes.process(service, instance)

    @property
    def usual(self) -> list[ServiceProcess]:
        """What runs between tests: one process of each service (the extra notifications
        instances run only while the scale-out test needs them)."""
        return [instances[0] for instances in self.processes.processes.values()]

    async def start(self, processes: Iterable[ServiceProcess]) -> None:
        """Start these (any already running are left alone) and wait until each is ready,
        without holding up this event loop (the partner's receiver runs on it)."""
        def start(process: ServiceProcess) -> None:
            process.start(wait=False)
            process.wait_ready(READY_SECONDS)

        await asyncio.gather(*(asyncio.to_thread(start, p) for p in processes))

    async def stop(self, processes: Iterable[ServiceProcess]) -> None:
        await asyncio.gather(*(asyncio.to_thread(p.stop) for p in processes))

    async def close(self) -> None:
        await self.http.aclose()
        for db in self.databases.values():
            await db.dispose()

    # -- as clients ----------------------------------------------------------------------

    async def post(self, service: str, path: str, body: Any = None,
                   headers: Headers | None = None, instance: int = 0) -> httpx.Response:
        return await self.http.post(self.url(service, instance) + path, json=body,
                                    headers=headers)

    async def created(self, service: str, path: str, body: Any = None,
                      headers: Headers | None = None) -> dict[str, Any]:
        response = await self.post(service, path, body, headers)
        assert response.status_code in (200, 201, 202), response.text
        document: dict[str, Any] = response.json()
        return document

    async def admin(self) -> Headers:
        token = await self.created("registry", "/v1/auth/token",
                                   {"api_key": self.processes.admin_api_key})
        return {"Authorization": f"Bearer {token['access_token']}"}

    async def network(self, name: str) -> str:
        made = await self.created("registry", "/v1/networks", {"name": name},
                                  await self.admin())
        return str(made["network_id"])

    async def organisation(self, network_id: str, name: str,
                           kind: str = "nhs_trust") -> tuple[str, Headers]:
        """A member organisation and headers carrying its staff's token."""
        admin = await self.admin()
        ods = {"ods_code": "RXX"} if kind == "nhs_trust" else {}
        made = await self.created("registry", "/v1/organisations", {
            "network_id": network_id, "name": name, "kind": kind, **ods}, admin)
        organisation_id = str(made["organisation_id"])
        key = await self.created("registry", f"/v1/organisations/{organisation_id}/api-keys",
                                 {"label": "fault tests"}, admin)
        token = await self.created("registry", "/v1/auth/token", {"api_key": key["api_key"]})
        return organisation_id, {"Authorization": f"Bearer {token['access_token']}"}

    async def join(self, network_id: str, email: str, **profile: Any) -> str:
        made = await self.created("registry", "/v1/participants",
                                  joining(network_id, email, **profile))
        return str(made["participant_id"])

    async def subscribe(self, staff: Headers, url: str, *event_types: str) -> dict[str, Any]:
        return await self.created("notifications", "/v1/subscriptions", {
            "url": url, "event_types": list(event_types or ["*"])}, staff)

    # -- as operators --------------------------------------------------------------------

    async def rows(self, service: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        async with self.databases[service].connect() as conn:
            return [tuple(row) for row in (await conn.execute(text(sql), params)).all()]

    async def ids(self, service: str, sql: str, **params: Any) -> list[str]:
        """The first column of each row, as text (ids in any order, repeats kept)."""
        return [str(row[0]) for row in await self.rows(service, sql, **params)]


def joining(network_id: str, email: str, **profile: Any) -> dict[str, Any]:
    """Someone joining by themselves, reachable by e-mail, sharing with the whole network."""
    return {"network_id": network_id, "details": {"name": "Alex Example", "email": email},
            "profile": {"roles": ["patient"], "methods": ["online", "writing"],
                        "topics": ["diabetes"], **profile},
            "consent": {"scope": "network", "contact_channels": ["email"]}}


def anonymous_from(address: str) -> Headers:
    """An anonymous respondent at `address`, as the proxy in front of the service says
    (uvicorn trusts X-Forwarded-For from 127.0.0.1): the anonymous allowance is per address,
    and a burst comes from many people."""
    return {"X-Forwarded-For": address}


def partition_of(key: str, partitions: int) -> int:
    """The partition the producer's default partitioner (murmur2, as Java's) gives a key."""
    hashed: int = murmur2(key.encode())
    return (hashed & 0x7FFFFFFF) % partitions


def group_assignment(bootstrap: str, group: str) -> dict[str, set[tuple[str, int]]]:
    """The group's members now, each with the partitions it has been given; empty while
    the group is rebalancing (blocking: run it in a thread)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="fault-tests")
    try:
        description = admin.describe_groups([group])[group]
    finally:
        admin.close()
    if description["group_state"] != "Stable":
        return {}
    return {member["member_id"]: {(t["topic"], p) for t in member["member_assignment"]
                                  ["assigned_partitions"] for p in t["partitions"]}
            for member in description["members"]}


def partitions_of(bootstrap: str, topic: str) -> int:
    """How many partitions `topic` has (blocking)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="fault-tests")
    try:
        [found] = admin.describe_topics([topic])
        partitions: list[Any] = found["partitions"]
        return len(partitions)
    finally:
        admin.close()


def partitions_holding(bootstrap: str, topic: str, keys: Iterable[str]) -> dict[str, int]:
    """Where the broker put the records with these keys: key -> partition (blocking)."""
    wanted = set(keys)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id="fault-tests",
                             enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        found: dict[str, int] = {}
        while any(consumer.position(p) < ends[p] for p in partitions):
            for records in consumer.poll(timeout_ms=1000).values():
                found |= {r.key.decode(): r.partition for r in records
                          if r.key is not None and r.key.decode() in wanted}
        return found
    finally:
        consumer.close()
