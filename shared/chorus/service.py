"""What a Chorus service declares, and the runtime that runs its parts under one lifespan.

A service hands the kernel a `ServiceSpec`: its routes, its public mapping, its migrations
and a `compose` function (its one composition root). The kernel builds the database, the
store and the bus from settings, calls `compose`, and runs the relay, the projections and
the consumers beside the API.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter

from chorus.auth import TokenVerifier
from chorus.contracts import Contract, dlq_topic, events_topic
from chorus.inbox import EventHandler, InboxConsumer
from chorus.migrations import upgrade
from chorus.projections import Projection, ProjectionRunner
from chorus.relay import OutboxRelay
from chorus.settings import Settings
from chorus.store.database import Database
from chorus.store.eventstore import EventStore, PublicMapping
from chorus.telemetry import CONSUMER_LAG
from chorus.transport.base import Bus, Subscription
from chorus.waiting import cancel_and_wait

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Consumer:
    """This service's subscription to other services' events."""

    name: str
    topics: Sequence[str]
    handle: EventHandler


@dataclass(frozen=True)
class Kernel:
    """What the kernel hands a service's composition root."""

    service: str
    settings: Settings
    db: Database
    store: EventStore
    bus: Bus


@dataclass
class ServiceParts:
    """What a service's composition root returns."""

    state: object
    projections: Sequence[Projection] = ()
    consumers: Sequence[Consumer] = ()
    seed_demo: Callable[[], Awaitable[list[str]]] | None = None
    token_verifier: TokenVerifier | None = None
    workers: Sequence[Callable[[], Coroutine[Any, Any, None]]] = ()
    """Long-running tasks of the service's own (e.g. a sweeper), run until it stops."""


@dataclass(frozen=True)
class ServiceSpec:
    """A deployable Chorus service, found by the CLI through the `chorus.services` entry points."""

    name: str
    title: str
    description: str
    port: int
    routers: Sequence[APIRouter]
    to_public: PublicMapping
    migrations: Path
    compose: Callable[[Kernel], ServiceParts]
    publishes: Sequence[type[Contract]] = field(default=())


def build_bus(settings: Settings, client_id: str) -> Bus:
    """The transport the settings ask for."""
    if settings.transport == "kafka":
        from chorus.transport.kafka import KafkaBus
        from chorus.transport.kafka_security import KafkaSecurity

        assert settings.kafka_bootstrap is not None
        return KafkaBus(settings.kafka_bootstrap, client_id=client_id,
                        partitions=settings.kafka_partitions,
                        replication_factor=settings.kafka_replication_factor,
                        security=KafkaSecurity.from_settings(settings))
    from chorus.transport.embedded import EmbeddedBus

    return EmbeddedBus(settings.embedded_bus_url(), poll_interval=settings.poll_interval)


class ServiceRuntime:
    """Starts and stops one service's database, bus, relay, projections and consumers."""

    def __init__(self, spec: ServiceSpec, settings: Settings, bus: Bus | None = None) -> None:
        self.spec = spec
        self.settings = settings
        self.db = Database(settings.database_url_for(spec.name))
        self.owns_bus = bus is None
        self.bus = bus if bus is not None else build_bus(settings, f"chorus-{spec.name}")
        self.relay = OutboxRelay(self.db, self.bus, service=spec.name,
                                 batch_size=settings.relay_batch_size,
                                 poll_interval=settings.poll_interval)
        self.store = EventStore(self.db, service=spec.name, topic=events_topic(spec.name),
                                to_public=spec.to_public, on_commit=self._wake)
        self.runners: list[ProjectionRunner] = []
        self.parts: ServiceParts | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._inboxes: list[InboxConsumer] = []

    def _wake(self) -> None:
        self.relay.wake.set()
        for runner in self.runners:
            runner.wake.set()

    def compose(self) -> ServiceParts:
        """Call the service's composition root; nothing is started yet."""
        kernel = Kernel(self.spec.name, self.settings, self.db, self.store, self.bus)
        self.parts = parts = self.spec.compose(kernel)
        self.runners = [ProjectionRunner(self.store, p, poll_interval=self.settings.poll_interval)
                        for p in parts.projections]
        return parts

    async def start(self) -> None:
        if self.settings.auto_migrate:
            await self.migrate()
        parts = self.compose()
        for consumer in parts.consumers:
            self._subscribe(consumer)
        await self.bus.ensure_topics(self.topics())
        if self.owns_bus:
            await self.bus.start()
        self._tasks = [asyncio.create_task(self.relay.run(), name=f"{self.spec.name}:relay")]
        self._tasks += [asyncio.create_task(r.run(), name=f"{self.spec.name}:{r.projection.name}")
                        for r in self.runners]
        self._tasks += [asyncio.create_task(work(), name=f"{self.spec.name}:worker")
                        for work in parts.workers]

    async def migrate(self) -> None:
        await upgrade(self.db, [self.spec.migrations])

    def _subscribe(self, consumer: Consumer) -> None:
        inbox = InboxConsumer(
            consumer.name, self.db, self.bus, consumer.handle, dlq_topic=dlq_topic(consumer.name),
            attempts=self.settings.consumer_attempts, backoff=self.settings.consumer_backoff)
        self._inboxes.append(inbox)
        self.bus.subscribe(Subscription(group=f"chorus.{consumer.name}",
                                        topics=consumer.topics, handle=inbox.process_batch))

    def topics(self) -> list[str]:
        """Every topic this service writes or reads."""
        consumers = self.parts.consumers if self.parts else ()
        return sorted({events_topic(self.spec.name),
                       *(dlq_topic(c.name) for c in consumers),
                       *(t for c in consumers for t in c.topics)})

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)
        for inbox in self._inboxes:
            await inbox.close()  # a shared bus may still be delivering to this service
        if self.owns_bus:
            await self.bus.stop()
        await self.db.dispose()

    async def report_lag(self) -> None:
        """Refresh the outbox and consumer lag gauges (called when /metrics is scraped)."""
        await self.relay.pending()
        for consumer in self.parts.consumers if self.parts else ():
            lag = await self.bus.lag(f"chorus.{consumer.name}", consumer.topics)
            CONSUMER_LAG.labels(consumer.name).set(lag)

    async def check_ready(self) -> dict[str, str]:
        """Whether the database and the bus answer; used by /healthz/ready."""
        checks: dict[str, str] = {}
        for name, ping in (("database", self.db.ping), ("bus", self.bus.ping)):
            try:
                await asyncio.wait_for(ping(), 5)
                checks[name] = "ok"
            except Exception as error:
                checks[name] = f"unavailable: {type(error).__name__}"
        return checks
