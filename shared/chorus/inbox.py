"""Consuming other services' events exactly once in effect.

Each event's id (CloudEvents `source` + `id`) goes into the inbox table in the same
transaction as the handler's effect, so a redelivered event changes nothing. A batch is
applied in one transaction; if it fails, each event is retried on its own with backoff,
and one that still fails goes to the consumer's dead-letter topic with the error, so the
consumer moves on. Failures of the database itself are not the event's fault: they are
raised to the transport, which delivers the batch again later.
"""

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from opentelemetry import trace
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from chorus.envelope import Envelope, from_kafka
from chorus.store.database import Database, Transaction, database_away
from chorus.store.schema import inbox
from chorus.telemetry import DLQ_EVENTS, EVENTS_CONSUMED, context_from, tracer
from chorus.transport.base import Bus, IncomingMessage, OutgoingMessage, SubscriptionClosed

log = logging.getLogger(__name__)

EventHandler = Callable[[Transaction, Envelope], Awaitable[None]]
"""Applies one event's effect inside the given transaction."""

def is_transient(error: BaseException) -> bool:
    """The database (or a connection) was away: the event is retried, never dead-lettered."""
    return database_away(error)


class InboxConsumer:
    """Applies incoming events once each, retrying and dead-lettering what cannot be applied."""

    def __init__(
        self,
        name: str,
        db: Database,
        bus: Bus,
        handle: EventHandler,
        *,
        dlq_topic: str,
        attempts: int = 3,
        backoff: float = 0.05,
        transient_pause: float = 1.0,
    ) -> None:
        self.name = name
        self.db = db
        self.bus = bus
        self.handle = handle
        self.dlq_topic = dlq_topic
        self.attempts = attempts
        self.backoff = backoff
        self.transient_pause = transient_pause
        self._running = asyncio.Lock()
        self._closed = False

    async def close(self) -> None:
        """Finish the batch in hand, then refuse the rest (the transport delivers them again
        later), so that the database can be shut after this returns."""
        async with self._running:
            self._closed = True

    async def process_batch(self, messages: Sequence[IncomingMessage]) -> None:
        """Apply a batch; the transport acknowledges it when this returns."""
        async with self._running:
            if self._closed:
                raise SubscriptionClosed(f"consumer {self.name} has stopped")
            await self._process_batch(messages)

    async def _process_batch(self, messages: Sequence[IncomingMessage]) -> None:
        try:
            async with self.db.transaction() as tx:
                await self._apply(tx, messages)
        except Exception as error:
            await self._pause_if_transient(error)
            for message in messages:
                await self._process_alone(message)

    async def _process_alone(self, message: IncomingMessage) -> None:
        error: Exception | None = None
        for attempt in range(self.attempts):
            try:
                async with self.db.transaction() as tx:
                    await self._apply(tx, [message])
                return
            except Exception as failure:
                await self._pause_if_transient(failure)
                error = failure
                await asyncio.sleep(self.backoff * 2**attempt)
        assert error is not None
        await self._dead_letter(message, error)

    async def _pause_if_transient(self, error: Exception) -> None:
        if is_transient(error):
            log.warning("consumer %s: database unavailable (%s); will retry", self.name, error)
            await asyncio.sleep(self.transient_pause)
            raise error

    async def _apply(self, tx: Transaction, messages: Sequence[IncomingMessage]) -> None:
        envelopes = [from_kafka(m.key, m.headers, m.value) for m in messages]
        for envelope in await self._first_time(tx, envelopes):
            parent = context_from({"traceparent": envelope.traceparent,
                                   "tracestate": envelope.tracestate})
            with tracer.start_as_current_span(
                f"consume {envelope.type}", context=parent, kind=trace.SpanKind.CONSUMER,
                attributes={"chorus.consumer": self.name, "chorus.event_id": envelope.id,
                            "chorus.subject": envelope.subject},
            ):
                await self.handle(tx, envelope)
            tx.after_commit(EVENTS_CONSUMED.labels(self.name).inc)

    async def _first_time(self, tx: Transaction, envelopes: list[Envelope]) -> list[Envelope]:
        """Record the events in the inbox; return, in order, those not recorded before."""
        first: dict[tuple[str, str], Envelope] = {}
        for envelope in envelopes:
            first.setdefault((envelope.source, envelope.id), envelope)
        unique = list(first.values())
        insert = pg_insert if self.db.is_postgres else sqlite_insert
        now = datetime.now(UTC)
        rows = [{"consumer": self.name, "source": e.source, "event_id": e.id,
                 "processed_at": now} for e in unique]
        statement = insert(inbox).on_conflict_do_nothing().returning(inbox.c.source,
                                                                    inbox.c.event_id)
        result = await tx.conn.execute(statement, rows)  # one compiled statement, many rows
        fresh = {(row.source, row.event_id) for row in result}
        return [e for e in unique if (e.source, e.id) in fresh]

    async def _dead_letter(self, message: IncomingMessage, error: Exception) -> None:
        log.error("consumer %s: event at %s/%s sent to %s: %s", self.name, message.topic,
                  message.offset, self.dlq_topic, error)
        headers = [*message.headers,
                   ("chorus_dlq_consumer", self.name.encode()),
                   ("chorus_dlq_topic", message.topic.encode()),
                   ("chorus_dlq_partition", str(message.partition).encode()),
                   ("chorus_dlq_offset", str(message.offset).encode()),
                   ("chorus_dlq_error", f"{type(error).__name__}: {error}".encode()[:2000]),
                   ("chorus_dlq_trace", "".join(traceback.format_exception(error))
                    .encode()[-4000:]),
                   ("chorus_dlq_time", datetime.now(UTC).isoformat().encode())]
        await self.bus.publish([OutgoingMessage(
            topic=self.dlq_topic, key=message.key or b"", headers=headers, value=message.value)])
        DLQ_EVENTS.labels(self.name).inc()
