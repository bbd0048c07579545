"""What every transport offers: publish with acknowledgement, and consume in batches.

Both adapters give the same semantics: a batch handler that returns normally has its
messages acknowledged; one that raises gets them again (at-least-once). Order is kept
per key.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class OutgoingMessage:
    topic: str
    key: bytes
    headers: list[tuple[str, bytes]]
    value: bytes


@dataclass(frozen=True)
class IncomingMessage:
    topic: str
    key: bytes | None
    headers: list[tuple[str, bytes]]
    value: bytes
    partition: int = 0
    offset: int = 0

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value.decode()
        return None


BatchHandler = Callable[[Sequence[IncomingMessage]], Awaitable[None]]


class SubscriptionClosed(Exception):
    """Raised by a handler whose service has stopped: the batch is not acknowledged, and the
    transport stops delivering to that subscription."""


@dataclass(frozen=True)
class Subscription:
    """A consumer group reading some topics, one batch at a time."""

    group: str
    topics: Sequence[str]
    handle: BatchHandler
    max_batch: int = field(default=500)


class Bus(Protocol):
    """The transport port. `publish` returns only once the bus has the messages for good."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def ensure_topics(self, topics: Sequence[str]) -> None: ...

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None: ...

    def subscribe(self, subscription: Subscription) -> None: ...

    async def ping(self) -> None: ...

    async def lag(self, group: str, topics: Sequence[str]) -> int: ...
